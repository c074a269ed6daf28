namespace Talm.Lab.Spokes;

/// <summary>One object on a spoke: normalised resource, namespace ("" when cluster-scoped), name.</summary>
public readonly record struct SpokeObjectKey(string Resource, string Namespace, string Name)
{
    public static SpokeObjectKey Of(string resource, string? ns, string name)
    {
        var r = SpokeResource.Normalize(resource);
        return new SpokeObjectKey(r, SpokeResource.IsClusterScoped(r) ? "" : ns ?? "", name);
    }
}
