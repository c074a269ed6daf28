namespace Talm.Engine.Reconcile;

/// <summary>
/// Names of generated objects: the desired name cut to fit (with the namespace and a suffix), the
/// suffix from the CGU's name-suffix annotation or random; once chosen, kept in status.safeResourceNames
/// under "namespace/desired-name" so that every later reconcile uses the same.
/// </summary>
internal static class SafeNames
{
    /// <summary>The reference's GetResourceName: "&lt;cgu&gt;-&lt;what&gt;", lower case.</summary>
    public static string ResourceName(ReconcileContext ctx, string what) => $"{ctx.Cgu.Name}-{what}".ToLowerInvariant();

    public static string Key(string ns, string name) => $"{ns}/{name}";

    public static string Get(ReconcileContext ctx, string name, string ns, int maxLength = HubNames.MaxObjectNameLength)
    {
        var names = ctx.Status.SafeResourceNames ??= new Dictionary<string, string>(StringComparer.Ordinal);
        var key = Key(ns, name);
        if (!names.TryGetValue(key, out var safe))
        {
            safe = New(name, ns, ctx.Cgu.Metadata.Annotation(HubNames.NameSuffixAnnotation), ctx.Suffixes, maxLength);
            names[key] = safe;
        }
        return safe;
    }

    public static string New(string name, string ns, string? suffix, Model.INameSuffixSource random, int maxLength)
    {
        if (string.IsNullOrEmpty(suffix))
            suffix = random.Next();
        var budget = maxLength - suffix.Length - ns.Length - 1;
        var stem = name.Length > budget ? name[..Math.Max(0, budget)] : name;
        while (stem.Length > 0 && !(char.IsAsciiLetterOrDigit(stem[^1]) || stem[^1] == '-'))
            stem = stem[..^1];
        return $"{stem}-{suffix}";
    }
}
