using Talm.Recovery.NodeTools;
using Talm.Recovery.Ostree;
using Talm.Recovery.Rollback;

namespace Talm.Recovery.Restore.Tests;

public sealed class RollbackTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly StringWriter _out = new();

    private PlatformRollback NewRollback() =>
        new(new NodeToolRunner("/usr/bin:/bin", new Dictionary<string, string>()), new RecoveryLog(_out, _out, null, TimeProvider.System));

    [Fact]
    public async Task Single_pinned_deployment_needs_no_rollback()
    {
        OstreeHost.Init(_dir.Path);
        var v1 = OstreeHost.CommitAndDeploy(_dir.Path, "4.14.1");
        OstreeHost.Pin(_dir.Path, 0);

        var plan = await NewRollback().RunAsync(_dir.Path, useRpmOstree: false, reboot: false);

        Assert.Equal(RollbackAction.None, plan.Action);
        Assert.Equal(v1, plan.Pinned!.Checksum);
        Assert.Equal("4.14.1", plan.Pinned.Version);
        Assert.Contains("no rollback needed", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pinned_rollback_deployment_becomes_the_default()
    {
        OstreeHost.Init(_dir.Path);
        var v1 = OstreeHost.CommitAndDeploy(_dir.Path, "4.14.1");
        OstreeHost.Pin(_dir.Path, 0);
        var v2 = OstreeHost.CommitAndDeploy(_dir.Path, "4.15.0");
        Assert.Equal(RollbackAction.MakeDefault, PlatformRollback.Inspect(_dir.Path).Action);

        var plan = await NewRollback().RunAsync(_dir.Path, useRpmOstree: false, reboot: false);

        Assert.Equal(RollbackAction.MakeDefault, plan.Action);
        using var sysroot = OstreeSysroot.Open(OstreeHost.Sysroot(_dir.Path));
        var after = sysroot.Deployments();
        Assert.Equal([v1, v2], after.Select(d => d.Checksum));
        Assert.True(after[0].Pinned);
        Assert.False(after[1].Pinned);

        // The real ostree CLI agrees: the pinned 4.14.1 is listed first (boots next).
        var status = OstreeHost.Status(_dir.Path);
        Assert.True(status.IndexOf(v1, StringComparison.Ordinal) < status.IndexOf(v2, StringComparison.Ordinal), status);
        Assert.Equal(RollbackAction.None, PlatformRollback.Inspect(_dir.Path).Action);
    }

    [Fact]
    public async Task Unpinned_standbys_in_the_way_are_undeployed_first()
    {
        OstreeHost.Init(_dir.Path);
        var v1 = OstreeHost.CommitAndDeploy(_dir.Path, "4.14.1");
        OstreeHost.Pin(_dir.Path, 0);
        var v2 = OstreeHost.CommitAndDeploy(_dir.Path, "4.15.0");
        var v3 = OstreeHost.CommitAndDeploy(_dir.Path, "4.15.1");
        var before = PlatformRollback.Inspect(_dir.Path);
        Assert.Equal(RollbackAction.UndeployThenMakeDefault, before.Action);
        Assert.Equal([v2], before.ToUndeploy.Select(d => d.Checksum));

        await NewRollback().RunAsync(_dir.Path, useRpmOstree: false, reboot: false);

        using var sysroot = OstreeSysroot.Open(OstreeHost.Sysroot(_dir.Path));
        Assert.Equal([v1, v3], sysroot.Deployments().Select(d => d.Checksum));
        Assert.DoesNotContain(v2, OstreeHost.Status(_dir.Path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuses_without_a_pinned_deployment_and_changes_nothing()
    {
        OstreeHost.Init(_dir.Path);
        var v1 = OstreeHost.CommitAndDeploy(_dir.Path, "4.14.1");
        var v2 = OstreeHost.CommitAndDeploy(_dir.Path, "4.15.0");

        var error = await Assert.ThrowsAsync<RollbackRefusedException>(() => NewRollback().RunAsync(_dir.Path, useRpmOstree: false, reboot: false));

        Assert.Contains("no ostree deployment is pinned", error.Message, StringComparison.Ordinal);
        using var sysroot = OstreeSysroot.Open(OstreeHost.Sysroot(_dir.Path));
        Assert.Equal([v2, v1], sysroot.Deployments().Select(d => d.Checksum));
    }

    public void Dispose()
    {
        _dir.Dispose();
        _out.Dispose();
    }

    /// <summary>The rollback as other tests run it: libostree, no reboot.</summary>
    public sealed class Runner
    {
        public StringWriter Output { get; } = new();

        public Task<RollbackPlan> RollbackAsync(string hostRoot) =>
            new PlatformRollback(new NodeToolRunner("/usr/bin:/bin", new Dictionary<string, string>()), new RecoveryLog(Output, Output, null, TimeProvider.System))
                .RunAsync(hostRoot, useRpmOstree: false, reboot: false);
    }
}
