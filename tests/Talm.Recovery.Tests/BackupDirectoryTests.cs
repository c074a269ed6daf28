using Talm.Recovery.Backup;
using Talm.Recovery.Layout;

namespace Talm.Recovery.Tests;

/// <summary>
/// The names <see cref="BackupDirectory"/> hands out are the ones docs/backup-format.md documents (runbooks and older
/// talm read them), and what it does with them, without a backup: commit, restore points, keep, lock.
/// </summary>
public sealed class BackupDirectoryTests : IDisposable
{
    private readonly string _path = Directory.CreateTempSubdirectory("talm-backup-dir-").FullName;

    [Fact]
    public void Names_are_the_documented_ones()
    {
        var dir = new BackupDirectory(_path);
        string Rel(string path) => Path.GetRelativePath(_path, path);
        Assert.Equal(".lock", Rel(dir.LockPath));
        Assert.Equal("keep", Rel(dir.KeepPath));
        Assert.Equal("current", Rel(dir.CurrentLink));
        Assert.Equal("progress", Rel(dir.Progress.Path));
        Assert.Equal("progress.host-root", Rel(dir.Progress.HostRootPath));
        Assert.Equal("progress.generation", Rel(dir.Progress.GenerationPath));
        Assert.Equal("restore-result.json", Rel(dir.RestoreResult.Path));
        Assert.Equal("generations/20261125-152642-a7e4a0", Rel(dir.GenerationPath("20261125-152642-a7e4a0")));
        Assert.Equal("generations/.building-20261125-152642-a7e4a0", Rel(dir.BuildingPath("20261125-152642-a7e4a0")));
        Assert.Equal("generations/.building-20261125-152642-a7e4a0-etcd", Rel(dir.SnapshotStagingPath("20261125-152642-a7e4a0")));
        Assert.Equal("generations/.retired-20261125-152642-a7e4a0", Rel(dir.RetiredPath("20261125-152642-a7e4a0")));
        Assert.Equal("generations/.recycle", Rel(dir.RecyclePath));
        Assert.Equal("upgrade-recovery.sh", Rel(dir.RecoveryScript));
        Assert.Equal("bin", Rel(dir.Bin));
        Assert.Equal("etcd-data-aside", Rel(dir.EtcdAsideRecord));
        Assert.Throws<ArgumentException>(() => dir.Fixed("generations"));
    }

    [Fact]
    public void Commits_lists_and_retires_restore_points()
    {
        var dir = new BackupDirectory(_path);
        Assert.Null(dir.CurrentRoot());
        Assert.Empty(dir.RestorePoints());
        var older = BackupDirectory.NewGenerationId(new DateTimeOffset(2026, 11, 25, 15, 26, 42, 500, TimeSpan.Zero), null, "aaaaaa");
        var newer = BackupDirectory.NewGenerationId(new DateTimeOffset(2026, 11, 25, 15, 26, 42, 900, TimeSpan.Zero), older, "bbbbbb");
        Assert.Equal("20261125-152642-aaaaaa", older);
        Assert.Equal("20261125-152643-bbbbbb", newer); // same second: made to sort after

        foreach (var id in new[] { older, newer })
        {
            var building = dir.BuildingPath(id);
            Directory.CreateDirectory(Path.Combine(building, BackupLayout.EtcDir));
            File.WriteAllText(BackupDirectory.ManifestOf(building), "{}");
            dir.Commit(building, id);
        }

        Assert.Equal(newer, dir.CurrentId());
        Assert.Equal(dir.GenerationPath(newer), dir.CurrentRoot());
        Assert.Equal([(newer, true), (older, false)], dir.RestorePoints().Select(p => (p.Id, p.IsCurrent)));
        Assert.True(Directory.Exists(dir.Fixed(BackupLayout.EtcDir)));
        Assert.Equal(dir.GenerationPath(older), dir.FindRestorePoint(older)?.Root);
        Assert.Contains($"there are: {newer} (current), {older}", dir.UnknownRestorePoint("nope"), StringComparison.Ordinal);

        Directory.CreateDirectory(dir.RecyclePath);
        Assert.Equal([dir.GenerationPath(older)], dir.GenerationsOtherThan(new HashSet<string> { newer }));
        Assert.Equal(dir.RetiredPath(older), dir.Retire(older));
        Assert.Single(dir.RestorePoints());

        dir.Uncommit();
        Assert.Null(dir.CurrentRoot());
    }

    [Fact]
    public void Keep_is_remembered_once_given()
    {
        var dir = new BackupDirectory(_path);
        Assert.Equal(BackupDirectory.DefaultKeep, dir.ResolveKeep(null));
        Assert.Equal(3, dir.ResolveKeep(3));
        Assert.Equal(3, dir.ResolveKeep(null));
        File.WriteAllText(dir.KeepPath, "three\n");
        Assert.Throws<BackupException>(() => dir.ReadKeep());
    }

    [Fact]
    public void One_lock_holder_at_a_time()
    {
        var dir = new BackupDirectory(_path);
        using (var held = dir.TryLock())
        {
            Assert.NotNull(held);
            Assert.Null(dir.TryLock());
        }

        using var again = dir.TryLock();
        Assert.NotNull(again);
    }

    public void Dispose() => Directory.Delete(_path, recursive: true);
}
