namespace Talm.KubeApi.Resources;

/// <summary>The built-in kinds the product and kubectl need; everything else arrives through CRDs.</summary>
public static class BuiltinResources
{
    private static readonly PrinterColumn Age = new("Age", "date", ".metadata.creationTimestamp");

    private static ResourceVersion V(string name, params PrinterColumn[] columns) => new(name, null, [.. columns, Age]);

    /// <summary>A column showing how many entries a map or list holds, as kubectl shows for ConfigMap data.</summary>
    private static PrinterColumn Count(string name, string path) => new(name, "integer", path, Format: PrinterColumn.CountFormat);

    private static readonly ResourceType CoreEvent = new()
    {
        Group = "", Kind = "Event", Plural = "events", Singular = "event", ShortNames = ["ev"], Namespaced = true,
        StorageVersion = "v1",
        Versions = [V("v1", new PrinterColumn("Type", "string", ".type"), new PrinterColumn("Reason", "string", ".reason"),
            new PrinterColumn("Message", "string", ".message"))],
    };

    /// <summary>events.k8s.io/v1: the same Events as core/v1, converted (see <see cref="EventConversion"/>).</summary>
    private static readonly ResourceType EventsApi = new()
    {
        Group = "events.k8s.io", Kind = "Event", Plural = "events", Singular = "event", ShortNames = ["ev"], Namespaced = true,
        StorageVersion = "v1",
        Versions = [V("v1", new PrinterColumn("Type", "string", ".type"), new PrinterColumn("Reason", "string", ".reason"),
            new PrinterColumn("Note", "string", ".note"))],
        StoredAs = CoreEvent,
        ToStorage = EventConversion.ToCore,
        FromStorage = EventConversion.FromCore,
    };

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        new()
        {
            Group = "", Kind = "Namespace", Plural = "namespaces", Singular = "namespace", ShortNames = ["ns"],
            Namespaced = false, HasStatus = true, StorageVersion = "v1",
            Versions = [V("v1", new PrinterColumn("Status", "string", ".status.phase"))],
        },
        new()
        {
            Group = "", Kind = "ConfigMap", Plural = "configmaps", Singular = "configmap", ShortNames = ["cm"],
            Namespaced = true, StorageVersion = "v1", Versions = [V("v1", Count("Data", ".data"))],
        },
        new()
        {
            Group = "", Kind = "Secret", Plural = "secrets", Singular = "secret", Namespaced = true, StorageVersion = "v1",
            Versions = [V("v1", new PrinterColumn("Type", "string", ".type"), Count("Data", ".data"))],
        },
        new()
        {
            Group = "", Kind = "ServiceAccount", Plural = "serviceaccounts", Singular = "serviceaccount", ShortNames = ["sa"],
            Namespaced = true, StorageVersion = "v1", Versions = [V("v1", Count("Secrets", ".secrets"))],
        },
        CoreEvent,
        EventsApi,
        new()
        {
            Group = "coordination.k8s.io", Kind = "Lease", Plural = "leases", Singular = "lease", Namespaced = true,
            StorageVersion = "v1", Versions = [V("v1", new PrinterColumn("Holder", "string", ".spec.holderIdentity"))],
        },
        Rbac("ClusterRole", "clusterroles", namespaced: false),
        Rbac("ClusterRoleBinding", "clusterrolebindings", namespaced: false),
        Rbac("Role", "roles", namespaced: true),
        Rbac("RoleBinding", "rolebindings", namespaced: true),
        Review("authentication.k8s.io", "TokenReview", "tokenreviews"),
        Review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews"),
        new()
        {
            Group = "apiextensions.k8s.io", Kind = "CustomResourceDefinition", Plural = "customresourcedefinitions",
            Singular = "customresourcedefinition", ShortNames = ["crd", "crds"], Namespaced = false, HasStatus = true,
            TracksGeneration = true, StorageVersion = "v1",
            Versions = [new ResourceVersion("v1", null, [new PrinterColumn("Created At", "string", ".metadata.creationTimestamp")])],
        },
    ];

    /// <summary>RBAC objects are stored as they are; SubjectAccessReviews are answered from them (Auth/RbacAuthorizer).</summary>
    private static ResourceType Rbac(string kind, string plural, bool namespaced) => new()
    {
        Group = "rbac.authorization.k8s.io", Kind = kind, Plural = plural, Singular = kind.ToLowerInvariant(), Namespaced = namespaced,
        StorageVersion = "v1", Versions = [V("v1")],
    };

    private static ResourceType Review(string group, string kind, string plural) => new()
    {
        Group = group, Kind = kind, Plural = plural, Singular = kind.ToLowerInvariant(), Namespaced = false,
        StorageVersion = "v1", Versions = [new ResourceVersion("v1", null, [])], IsReview = true,
    };

    public static ResourceType CustomResourceDefinition => All[^1];
    public static ResourceType Namespace => All[0];
}
