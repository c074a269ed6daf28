namespace Talm.Api.Meta;

/// <summary>A {name, namespace} reference as used by blockingCRs, preCachingConfigRef and managedPoliciesForUpgrade.</summary>
public sealed record NamespacedName
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }

    public NamespacedName() { }

    public NamespacedName(string name, string? ns)
    {
        Name = name;
        Namespace = ns;
    }

    public override string ToString() => Namespace is null ? Name ?? "" : $"{Namespace}/{Name}";
}
