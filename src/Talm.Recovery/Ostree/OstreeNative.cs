using System.Runtime.InteropServices;

namespace Talm.Recovery.Ostree;

/// <summary>
/// The few libostree/GLib entry points the rollback needs. ostree 2022.7 has no
/// <c>admin set-default</c>; reordering the deployment list through
/// <c>ostree_sysroot_write_deployments</c> is the supported way to change the default.
/// </summary>
internal static partial class OstreeNative
{
    private const string Ostree = "libostree-1.so.1";
    private const string Gio = "libgio-2.0.so.0";
    private const string Glib = "libglib-2.0.so.0";
    private const string Gobject = "libgobject-2.0.so.0";

    /// <summary>OSTREE_OBJECT_TYPE_COMMIT.</summary>
    public const int ObjectTypeCommit = 4;

    [LibraryImport(Gio, EntryPoint = "g_file_new_for_path", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr GFileNewForPath(string path);

    [LibraryImport(Gobject, EntryPoint = "g_object_unref")]
    public static partial void GObjectUnref(IntPtr obj);

    [LibraryImport(Glib, EntryPoint = "g_ptr_array_new")]
    public static partial IntPtr GPtrArrayNew();

    [LibraryImport(Glib, EntryPoint = "g_ptr_array_add")]
    public static partial void GPtrArrayAdd(IntPtr array, IntPtr item);

    [LibraryImport(Glib, EntryPoint = "g_ptr_array_unref")]
    public static partial void GPtrArrayUnref(IntPtr array);

    [LibraryImport(Glib, EntryPoint = "g_error_free")]
    public static partial void GErrorFree(IntPtr error);

    [LibraryImport(Glib, EntryPoint = "g_variant_unref")]
    public static partial void GVariantUnref(IntPtr variant);

    [LibraryImport(Glib, EntryPoint = "g_variant_get_child_value")]
    public static partial IntPtr GVariantGetChildValue(IntPtr variant, nuint index);

    [LibraryImport(Glib, EntryPoint = "g_variant_lookup_value", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr GVariantLookupValue(IntPtr dictionary, string key, IntPtr expectedType);

    [LibraryImport(Glib, EntryPoint = "g_variant_get_string")]
    public static partial IntPtr GVariantGetString(IntPtr variant, IntPtr length);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_new")]
    public static partial IntPtr SysrootNew(IntPtr path);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_load")]
    public static partial int SysrootLoad(IntPtr sysroot, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_lock")]
    public static partial int SysrootLock(IntPtr sysroot, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_unlock")]
    public static partial void SysrootUnlock(IntPtr sysroot);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_get_deployments")]
    public static partial IntPtr SysrootGetDeployments(IntPtr sysroot);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_get_booted_deployment")]
    public static partial IntPtr SysrootGetBootedDeployment(IntPtr sysroot);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_write_deployments")]
    public static partial int SysrootWriteDeployments(IntPtr sysroot, IntPtr deployments, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_cleanup")]
    public static partial int SysrootCleanup(IntPtr sysroot, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_sysroot_get_repo")]
    public static partial int SysrootGetRepo(IntPtr sysroot, out IntPtr repo, IntPtr cancellable, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_repo_load_variant")]
    public static partial int RepoLoadVariant(IntPtr repo, int objectType, IntPtr checksum, out IntPtr variant, out IntPtr error);

    [LibraryImport(Ostree, EntryPoint = "ostree_deployment_get_csum")]
    public static partial IntPtr DeploymentGetCsum(IntPtr deployment);

    [LibraryImport(Ostree, EntryPoint = "ostree_deployment_get_osname")]
    public static partial IntPtr DeploymentGetOsname(IntPtr deployment);

    [LibraryImport(Ostree, EntryPoint = "ostree_deployment_get_deployserial")]
    public static partial int DeploymentGetDeployserial(IntPtr deployment);

    [LibraryImport(Ostree, EntryPoint = "ostree_deployment_is_pinned")]
    public static partial int DeploymentIsPinned(IntPtr deployment);

    [LibraryImport(Ostree, EntryPoint = "ostree_deployment_equal")]
    public static partial int DeploymentEqual(IntPtr a, IntPtr b);

    /// <summary>Reads a GError's message (struct GError { GQuark domain; gint code; gchar *message; }) and frees it.</summary>
    public static string TakeError(IntPtr error)
    {
        if (error == IntPtr.Zero)
        {
            return "unknown libostree error";
        }

        var message = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error, 8)) ?? "unknown libostree error";
        GErrorFree(error);
        return message;
    }

    /// <summary>Elements of a GPtrArray (struct GPtrArray { gpointer *pdata; guint len; }).</summary>
    public static IntPtr[] PtrArrayItems(IntPtr array)
    {
        var data = Marshal.ReadIntPtr(array, 0);
        var length = Marshal.ReadInt32(array, IntPtr.Size);
        var items = new IntPtr[length];
        for (var i = 0; i < length; i++)
        {
            items[i] = Marshal.ReadIntPtr(data, i * IntPtr.Size);
        }

        return items;
    }
}
