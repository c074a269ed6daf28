namespace Talm.Lab.View;

/// <summary>One line of the live table.</summary>
public sealed record ClusterRow(string Cluster, string Backup, string Precache, string Batch, string Policy, string Compliance);
