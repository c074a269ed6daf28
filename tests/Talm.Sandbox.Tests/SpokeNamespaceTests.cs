using Talm.Engine.Reconcile;
using Talm.Recovery.Unattended;

namespace Talm.Sandbox.Tests;

/// <summary>The agent on the spoke and the operator on the hub name the backup Job's namespace in their own assemblies: it must be one name.</summary>
public sealed class SpokeNamespaceTests
{
    [Fact]
    public void The_restore_result_ConfigMap_is_in_the_backup_Jobs_namespace()
    {
        Assert.Equal(SpokeNames.BackupNamespace, ResultConfigMap.Namespace);
    }
}
