namespace Talm.Recovery.Restore.Tests;

/// <summary>A real ostree sysroot under <c>root/sysroot</c>, made with the ostree CLI.</summary>
public static class OstreeHost
{
    public static string Sysroot(string root) => Path.Combine(root, "sysroot");

    public static void Init(string root)
    {
        var sysroot = Sysroot(root);
        Directory.CreateDirectory(sysroot);
        Sh.Run("ostree", "admin", "init-fs", sysroot);
        Sh.Run("ostree", "admin", "os-init", "--sysroot=" + sysroot, "rhcos");
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
        var csum = Sh.Run("ostree", "--repo=" + Path.Combine(sysroot, "ostree/repo"), "commit", "-b", "rhcos/stable", "--tree=dir=" + tree,
            "--add-metadata-string=version=" + version, "-s", version).Trim();
        Directory.Delete(tree, true);
        Sh.Run("ostree", "admin", "deploy", "--sysroot=" + sysroot, "--os=rhcos", "--karg=root=LABEL=root", csum);
        return csum;
    }

    public static void Pin(string root, int index) => Sh.Run("ostree", "admin", "pin", "--sysroot=" + Sysroot(root), index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string Status(string root) => Sh.Run("ostree", "admin", "status", "--sysroot=" + Sysroot(root));
}
