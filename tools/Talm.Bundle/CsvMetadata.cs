namespace Talm.Bundle;

/// <summary>What the CSV says about the operator that deploy/ does not: names, wording, OpenShift's feature annotations.</summary>
public static class CsvMetadata
{
    public const string Package = "talm-operator";
    public const string Channel = "alpha";
    public const string DisplayName = "TALM backup and recovery for single-node OpenShift";
    public const string Provider = "talm";

    public const string Summary =
        "Backs up single-node OpenShift clusters before an upgrade and upgrades them in batches from the hub (ClusterGroupUpgrade).";

    public const string Description = """
        The hub operator reconciles `ClusterGroupUpgrade` (`ran.openshift.io/v1alpha1`) as the Topology Aware
        Lifecycle Manager does: it selects the clusters, remediates the managed policies in batches, and with
        `backup: true` first backs up every cluster that needs the upgrade (the recovery image runs on each
        node through RHACM), leaving out the clusters whose backup failed. After a failed upgrade the recovery
        utility on the node restores it.

        It needs Red Hat Advanced Cluster Management on the hub. Metrics are served over HTTPS to callers
        allowed to get `/metrics`, with a ServiceMonitor and alerts for the platform monitoring stack.
        """;

    /// <summary>
    /// OpenShift's infrastructure feature annotations, as the reference declares them: it runs
    /// disconnected (every image by digest in relatedImages), behind the cluster proxy (OLM injects
    /// HTTP(S)_PROXY/NO_PROXY, which the update graph client honours) and on FIPS clusters (TLS and
    /// hashing through the platform's OpenSSL).
    /// </summary>
    public static readonly IReadOnlyList<(string Key, string Value)> Features =
    [
        ("features.operators.openshift.io/cnf", "false"),
        ("features.operators.openshift.io/cni", "false"),
        ("features.operators.openshift.io/csi", "false"),
        ("features.operators.openshift.io/disconnected", "true"),
        ("features.operators.openshift.io/fips-compliant", "true"),
        ("features.operators.openshift.io/proxy-aware", "true"),
        ("features.operators.openshift.io/tls-profiles", "false"),
        ("features.operators.openshift.io/token-auth-aws", "false"),
        ("features.operators.openshift.io/token-auth-azure", "false"),
        ("features.operators.openshift.io/token-auth-gcp", "false"),
        ("operators.openshift.io/infrastructure-features", "[\"disconnected\", \"proxy-aware\", \"fips\"]"),
    ];
}
