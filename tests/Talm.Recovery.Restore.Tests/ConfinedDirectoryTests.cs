using Talm.Recovery.Platform;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// The handle-based file API the restore goes through: nothing below a root can lead outside it.
/// Every test runs with openat2 and with the name-by-name walk used where openat2 is missing.
/// </summary>
[Collection(nameof(ConfinedDirectoryTests))]
public sealed class ConfinedDirectoryTests : IDisposable
{
    private readonly TempDir _dir = new("talm-confined");

    public ConfinedDirectoryTests()
    {
        Sh.Bash($"""
            d='{_dir.Path}'
            mkdir -p "$d/root/etc/ssh" "$d/root/var/usrlocal/bin" "$d/root/usr" "$d/outside"
            echo precious > "$d/outside/precious"
            ln -s ../var/usrlocal "$d/root/usr/local"
            ln -s '{_dir.Path}/outside' "$d/root/etc/abs-out"
            ln -s ../../outside "$d/root/etc/rel-out"
            ln -s /var/usrlocal "$d/root/abs-in"
            ln -s loop-b "$d/root/loop-a"; ln -s loop-a "$d/root/loop-b"
            """);
    }

    private string Root => Path.Combine(_dir.Path, "root");

    private string Outside => Path.Combine(_dir.Path, "outside");

    private void AssertOutsideUntouched()
    {
        Assert.Equal(["precious"], Directory.GetFileSystemEntries(Outside).Select(Path.GetFileName));
        Assert.Equal("precious\n", File.ReadAllText(Path.Combine(Outside, "precious")));
    }

    public static TheoryData<bool> Modes => new() { true, false };

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_symlink_on_the_way_is_refused_and_nothing_is_created_through_it(bool openat2)
    {
        ConfinedDirectory.UseOpenat2 = openat2;
        using var root = ConfinedDirectory.Open(Root);

        foreach (var path in new[] { "etc/abs-out", "etc/rel-out", "etc/abs-out/sub", "usr/local/bin" })
        {
            Assert.Throws<SymlinkRefusedException>(() => root.OpenDirectory(path).Dispose());
            Assert.Throws<SymlinkRefusedException>(() => root.OpenDirectory(path, create: true).Dispose());
        }

        AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Paths_that_climb_or_start_at_slash_are_refused(bool openat2)
    {
        ConfinedDirectory.UseOpenat2 = openat2;
        using var root = ConfinedDirectory.Open(Root);
        using var etc = root.OpenDirectory("etc");

        foreach (var path in new[] { "../outside", "etc/../../outside", "/etc", "etc//ssh", "etc/./ssh" })
        {
            Assert.Throws<UnsafePathException>(() => root.OpenDirectory(path).Dispose());
        }

        Assert.Throws<UnsafePathException>(() => etc.CreateFile("../escape").Dispose());
        Assert.Throws<UnsafePathException>(() => etc.Delete(".."));
        AssertOutsideUntouched();
    }

    [Fact]
    public void In_root_resolution_follows_symlinks_as_the_node_would_and_never_leaves_the_root()
    {
        using var root = ConfinedDirectory.Open(Root);

        using (var local = root.OpenDirectory("usr/local/bin", SymlinkPolicy.InRoot))
        {
            Assert.Equal("var/usrlocal/bin", local.Relative);
        }

        using (var absolute = root.OpenDirectory("abs-in/bin", SymlinkPolicy.InRoot))
        {
            Assert.Equal("var/usrlocal/bin", absolute.Relative);
        }

        // An absolute target means the host's '/', and '..' stops at the root: both stay inside.
        using (var created = root.OpenDirectory("etc/abs-out/made", SymlinkPolicy.InRoot, create: true))
        {
            Assert.Equal(Outside.TrimStart('/') + "/made", created.Relative);
        }

        using (var climbed = root.OpenDirectory("../../../etc/rel-out", SymlinkPolicy.InRoot, create: true))
        {
            Assert.Equal("outside", climbed.Relative);
        }

        Assert.Equal(NativeException.ELOOP, Assert.Throws<NativeException>(() => root.OpenDirectory("loop-a", SymlinkPolicy.InRoot).Dispose()).Errno);
        Assert.True(Directory.Exists(Path.Combine(Root, Outside.TrimStart('/'), "made")));
        AssertOutsideUntouched();
    }

    [Fact]
    public void Changes_by_name_never_follow_a_final_symlink()
    {
        using var root = ConfinedDirectory.Open(Root);
        using var etc = root.OpenDirectory("etc");
        var precious = Path.Combine(Outside, "precious");
        File.CreateSymbolicLink(Path.Combine(Root, "etc/link-to-precious"), precious);
        var before = Posix.LStat(precious);

        Assert.Throws<NativeException>(() => etc.CreateFile("link-to-precious").Dispose());
        Assert.Throws<NativeException>(() => etc.OpenFile("link-to-precious").Dispose());
        Assert.Throws<IOException>(() => etc.SetMode("link-to-precious", 0x1FF));
        etc.SetOwner("link-to-precious", 4242, 4242);
        etc.SetTimes("link-to-precious", 0, 1_000_000_000);
        etc.Delete("rel-out");
        etc.Delete("link-to-precious");

        var after = Posix.LStat(precious);
        Assert.Equal((before.Uid, before.Permissions, before.MtimeNs), (after.Uid, after.Permissions, after.MtimeNs));
        AssertOutsideUntouched();
    }

    [Fact]
    public void Deleting_a_tree_removes_symlinks_inside_it_without_following_them()
    {
        Sh.Bash($"d='{Root}/etc/doomed'; mkdir -p \"$d/deep\"; ln -s '{Outside}' \"$d/deep/out\"; ln -s '{Outside}/precious' \"$d/file-link\"; echo x > \"$d/deep/f\"");
        using var root = ConfinedDirectory.Open(Root);
        using var etc = root.OpenDirectory("etc");

        etc.Delete("doomed");

        Assert.False(Directory.Exists(Path.Combine(Root, "etc/doomed")));
        AssertOutsideUntouched();
    }

    public void Dispose()
    {
        ConfinedDirectory.UseOpenat2 = true;
        _dir.Dispose();
    }
}
