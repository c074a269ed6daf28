using System.Globalization;
using System.Text.Json.Nodes;
using Talm.Recovery.ClusterApi;

namespace Talm.Recovery.Unattended;

/// <summary>
/// The unattended restore's result as a ConfigMap in the restored cluster, where the hub reads it through a
/// ManagedClusterView (docs/recovery.md): in the backup Job's namespace, which the restored etcd holds (the
/// snapshot is taken while that Job runs; it is created when missing all the same).
/// </summary>
public static class ResultConfigMap
{
    /// <summary>The backup Job's namespace on the spoke.</summary>
    public const string Namespace = Talm.Api.Rhacm.SpokeNames.BackupNamespace;

    public const string Name = "talm-recovery-result";

    /// <summary>The ConfigMap: one data key per field, so a view's <c>status.result.data.state</c> reads directly.</summary>
    public static JsonObject Build(UnattendedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var data = new JsonObject();
        void Put(string key, string? value)
        {
            if (value is not null)
            {
                data[key] = value;
            }
        }

        Put("state", result.State);
        Put("stage", result.Stage);
        Put("message", result.Message);
        Put("next", result.Next);
        Put("generation", result.Generation);
        Put("host", result.Host);
        Put("unit", result.Unit);
        Put("armedAt", Time(result.ArmedAt));
        Put("startedAt", Time(result.StartedAt));
        Put("finishedAt", Time(result.FinishedAt));
        Put("runs", result.Runs.ToString(CultureInfo.InvariantCulture));
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "talm" },
            },
            ["data"] = data,
        };
    }

    /// <summary>Creates or replaces the ConfigMap (and the namespace when the cluster has none).</summary>
    /// <exception cref="ApiRefusedException">The API server answered, but not with success.</exception>
    public static async Task WriteAsync(ApiClient api, UnattendedResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var configMap = Build(result);
        var collection = $"/api/v1/namespaces/{Namespace}/configmaps";
        var created = await api.SendAsync(HttpMethod.Post, collection, configMap.ToJsonString(), cancellationToken).ConfigureAwait(false);
        if (created.Status == 404)
        {
            var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = Namespace } };
            var made = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces", ns.ToJsonString(), cancellationToken).ConfigureAwait(false);
            if (!made.Succeeded && made.Status != 409)
            {
                throw new ApiRefusedException($"creating namespace {Namespace}: {made.Reason()}");
            }

            created = await api.SendAsync(HttpMethod.Post, collection, configMap.ToJsonString(), cancellationToken).ConfigureAwait(false);
        }

        if (created.Succeeded)
        {
            return;
        }

        if (created.Status != 409)
        {
            throw new ApiRefusedException($"creating ConfigMap {Namespace}/{Name}: {created.Reason()}");
        }

        // It is there from an earlier run: replace it whole (fields this result lacks must not linger), at its version.
        var current = await api.SendAsync(HttpMethod.Get, $"{collection}/{Name}", null, cancellationToken).ConfigureAwait(false);
        if (!current.Succeeded)
        {
            throw new ApiRefusedException($"reading ConfigMap {Namespace}/{Name}: {current.Reason()}");
        }

        var version = (JsonNode.Parse(current.Body)?["metadata"]?["resourceVersion"])?.GetValue<string>();
        ((JsonObject)configMap["metadata"]!)["resourceVersion"] = version;
        var replaced = await api.SendAsync(HttpMethod.Put, $"{collection}/{Name}", configMap.ToJsonString(), cancellationToken).ConfigureAwait(false);
        if (!replaced.Succeeded)
        {
            throw new ApiRefusedException($"replacing ConfigMap {Namespace}/{Name}: {replaced.Reason()}");
        }
    }

    private static string? Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>The API server answered a request with a refusal (the message carries its reason).</summary>
public sealed class ApiRefusedException(string message) : Exception(message);
