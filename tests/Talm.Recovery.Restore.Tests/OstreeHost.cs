namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// A real ostree sysroot laid out as on RHCOS, made with the ostree CLI: the physical root under
/// <c>root/sysroot</c>, the bootloader entries on <c>root/boot</c>, and <c>root/ostree -> sysroot/ostree</c>.
/// ostree is pointed at <c>root</c>, as on the node.
/// </summary>
public static class OstreeHost
{
    public static string Sysroot(string root) => root;

    public static void Init(string root)
    {
        var physical = Path.Combine(root, "sysroot");
        Directory.CreateDirectory(physical);
        Directory.CreateDirectory(Path.Combine(root, "boot"));
        Sh.Run("ostree", "admin", "init-fs", physical);
        File.CreateSymbolicLink(Path.Combine(root, "ostree"), "sysroot/ostree");
        Sh.Run("ostree", "admin", "os-init", "--sysroot=" + root, "rhcos");
    }

    /// <summary>Commits a minimal bootable tree with the given version and deploys it (it becomes index 0).</summary>
    public static string CommitAndDeploy(string root, string version)
    {
        var sysroot = Sysroot(root);
        var tree = Path.Combine(root, "tree-" + version);
        Directory.CreateDirectory(Path.Combine(tree, "usr/lib/modules/5.14.0"));
        Directory.CreateDirectory(Path.Combine(tree, "usr/etc"));
        Directory.CreateDirectory(Path.Combine(tree, "usr/bin"));
        File.WriteAllText(Path.Combine(tree, "usr/lib/modules/5.14.0/vmlinuz"), "kernel " + version);
        File.WriteAllText(Path.Combine(tree, "usr/lib/modules/5.14.0/initramfs.img"), "initramfs " + version);
        File.WriteAllText(Path.Combine(tree, "usr/etc/os-release"), $"ID=rhcos\nPRETTY_NAME=\"RHCOS {version}\"\nVERSION=\"{version}\"\n");
        File.WriteAllText(Path.Combine(tree, "usr/bin/release"), version);
        var csum = Sh.Run("ostree", "--repo=" + Path.Combine(root, "sysroot/ostree/repo"), "commit", "-b", "rhcos/stable", "--tree=dir=" + tree,
            "--add-metadata-string=version=" + version, "-s", version).Trim();
        Directory.Delete(tree, true);
        Sh.Run("ostree", "admin", "deploy", "--sysroot=" + sysroot, "--os=rhcos", "--karg=root=LABEL=root", csum);
        return csum;
    }

    public static void Pin(string root, int index) => Sh.Run("ostree", "admin", "pin", "--sysroot=" + Sysroot(root), index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string Status(string root) => Sh.Run("ostree", "admin", "status", "--sysroot=" + Sysroot(root));
}
