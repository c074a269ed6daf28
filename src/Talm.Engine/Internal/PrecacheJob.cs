using System.Text.Json;
using System.Text.Json.Nodes;

namespace Talm.Engine.Internal;

/// <summary>The pre-cache Job on the spoke; its workload image is PRECACHE_IMG (§5b).</summary>
internal static class PrecacheJob
{
    public static JsonElement Build(string image, int timeoutMinutes) => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["apiVersion"] = "batch/v1",
        ["kind"] = "Job",
        ["metadata"] = new JsonObject { ["name"] = Names.PrecacheJob, ["namespace"] = Names.PrecacheNamespace },
        ["spec"] = new JsonObject
        {
            ["activeDeadlineSeconds"] = timeoutMinutes * 60,
            ["backoffLimit"] = 0,
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = Names.PrecacheJob },
                ["spec"] = new JsonObject
                {
                    ["restartPolicy"] = "Never",
                    ["serviceAccountName"] = Names.PrecacheAgent,
                    ["containers"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "pre-cache-container",
                        ["image"] = image,
                        ["securityContext"] = new JsonObject { ["privileged"] = true, ["runAsUser"] = 0 },
                        ["volumeMounts"] = new JsonArray(
                            new JsonObject { ["name"] = "host", ["mountPath"] = "/host" },
                            new JsonObject { ["name"] = "config-volume", ["mountPath"] = "/etc/config", ["readOnly"] = true }),
                    }),
                    ["volumes"] = new JsonArray(
                        new JsonObject { ["name"] = "host", ["hostPath"] = new JsonObject { ["path"] = "/", ["type"] = "Directory" } },
                        new JsonObject { ["name"] = "config-volume", ["configMap"] = new JsonObject { ["name"] = Names.PrecacheSpecConfigMap } }),
                },
            },
        },
    });
}
