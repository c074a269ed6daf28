namespace Talm.Lab.Spokes;

/// <summary>
/// Normalises the resource names RHACM accepts ("namespace", "namespaces", "Job", "jobs.batch") to
/// one key per kind, so actions and views about the same object meet.
/// </summary>
public static class SpokeResource
{
    public const string Namespace = "namespace";
    public const string Job = "job";

    public static string Normalize(string? resource)
    {
        var r = (resource ?? "").Trim().ToLowerInvariant();
        var dot = r.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0) r = r[..dot];
        if (r.EndsWith("ies", StringComparison.Ordinal)) r = r[..^3] + "y";
        else if (r.EndsWith("ses", StringComparison.Ordinal)) r = r[..^2];
        else if (r.EndsWith('s')) r = r[..^1];
        return r;
    }

    public static bool IsClusterScoped(string resource) =>
        resource is Namespace or "clusterrolebinding" or "clusterrole" or "node";

    /// <summary>The plural lower-case form, as used in Kubernetes "not found" messages.</summary>
    public static string Plural(string resource) => resource switch
    {
        "clusterrolebinding" => "clusterrolebindings.rbac.authorization.k8s.io",
        Job => "jobs.batch",
        _ => resource + "s",
    };
}
