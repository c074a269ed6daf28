using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Api.Cgu;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The OpenShift release a CGU's policies ask for, from their ClusterVersion objects: an image given
/// outright, or upstream + channel + version looked up in the update graph. Every ClusterVersion must
/// agree; templated fields cannot be resolved on the hub.
/// </summary>
internal static partial class PlatformVersion
{
    private sealed record Info(string Upstream, string Channel, string Version, string Image, bool Found);

    /// <summary>validateOpenshiftUpgradeVersion: false (Validated False InvalidPlatformImage, or an error) when the release cannot be resolved.</summary>
    public static bool Validate(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        var (info, error) = Extract(policies);
        if (error is null)
        {
            if (!info.Found || info.Image != "")
                return true;
            if (info.Upstream == "" || info.Channel == "" || info.Version == "")
            {
                error = "policy with ClusterVersion must have upstream, channel, and version when image is not provided";
            }
            else if (HasTemplate(info.Upstream) || HasTemplate(info.Channel) || HasTemplate(info.Version) ||
                     info.Upstream == PolicyObjects.Placeholder || info.Channel == PolicyObjects.Placeholder || info.Version == PolicyObjects.Placeholder)
            {
                if (ctx.Spec.IsPreCaching)
                    error = "templatized ClusterVersion fields not supported with precaching";
            }
            else
            {
                var (_, lookupError, pending) = Lookup(ctx, info);
                if (pending)
                {
                    ctx.Fail("waiting for the update graph");
                    return false;
                }
                error = lookupError;
            }
        }
        if (error is null)
            return true;
        ctx.SetCondition(ConditionTypes.Validated, false, ConditionReasons.InvalidPlatformImage, error);
        return false;
    }

    /// <summary>extractOCPImageFromPolicies: the release image, "" when no policy has a ClusterVersion; pending while the graph is fetched.</summary>
    public static (string Image, string? Error, bool Pending) Image(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        var (info, error) = Extract(policies);
        if (error is not null)
            return ("", error, false);
        if (!info.Found)
            return ("", null, false);
        if (info.Image != "")
            return (info.Image, null, false);
        var (image, lookupError, pending) = Lookup(ctx, info);
        if (pending || lookupError is not null)
            return ("", lookupError, pending);
        return image == "" ? ("", "unable to find platform image for specified upstream, channel, and version", false) : (image, null, false);
    }

    private static (string Image, string? Error, bool Pending) Lookup(ReconcileContext ctx, Info info)
    {
        var url = info.Upstream + "?channel=" + info.Channel;
        var graph = ctx.Graph(url);
        if (graph is null)
            return ("", null, true);
        if (graph.Error is not null)
            return ("", graph.Error, false);
        foreach (var (version, payload) in graph.Nodes)
        {
            if (version == info.Version && payload != "")
                return (payload, null, false);
        }
        return ("", $"unable to find version {info.Version} on update graph on url {url}", false);
    }

    private static (Info Info, string? Error) Extract(IReadOnlyList<Policy> policies)
    {
        string upstream = "", channel = "", version = "", image = "";
        var found = false;
        foreach (var policy in policies)
        {
            var (objects, error) = PolicyObjects.Strip(policy);
            if (error is not null)
                return (new Info("", "", "", "", false), error);
            foreach (var obj in objects)
            {
                if (PolicyObjects.Str(obj["kind"]) != "ClusterVersion")
                    continue;
                if (obj["spec"] is not JsonObject spec)
                    continue;
                if (Agree(ref upstream, spec["upstream"], "upstream") is { } e1) return (new Info("", "", "", "", false), e1);
                if (Agree(ref channel, spec["channel"], "channel") is { } e2) return (new Info("", "", "", "", false), e2);
                if (spec["desiredUpdate"] is JsonObject desired)
                {
                    if (Agree(ref version, desired["version"], "version") is { } e3) return (new Info("", "", "", "", false), e3);
                    if (Agree(ref image, desired["image"], "image") is { } e4) return (new Info("", "", "", "", false), e4);
                }
                found = true;
            }
        }
        return (new Info(upstream, channel, version, image, found), null);
    }

    private static string? Agree(ref string current, JsonNode? node, string field)
    {
        if (node is null)
            return null;
        var next = PolicyObjects.Str(node) ?? node.ToJsonString();
        if (next == PolicyObjects.Placeholder)
            return "templating cluster version fields not supported";
        if (current == "")
            current = next;
        else if (current != next)
            return $"platform image defined more then once with conflicting {field} values";
        return null;
    }

    private static bool HasTemplate(string s) => Template().IsMatch(s);

    [GeneratedRegex("{{.*}}")]
    private static partial Regex Template();
}
