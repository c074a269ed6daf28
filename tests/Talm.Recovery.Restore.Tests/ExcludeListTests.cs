namespace Talm.Recovery.Restore.Tests;

public sealed class ExcludeListTests
{
    [Theory]
    [InlineData("kubernetes/manifests", true)]
    [InlineData("kubernetes/manifests/etcd-pod.yaml", true)]
    [InlineData("kubernetes/manifests-old", false)]
    [InlineData(".updated", true)]
    [InlineData("sub/dir/.updated", true)]
    [InlineData("x/kubernetes/manifests", true)]
    [InlineData("anchored/only", true)]
    [InlineData("deeper/anchored/only", false)]
    [InlineData("kubernetes", false)]
    public void Follows_rsync_exclude_from_meaning_for_plain_paths(string path, bool excluded)
    {
        var list = new ExcludeList(["kubernetes/manifests", ".updated", "/anchored/only", "", "# comment"]);
        Assert.Equal(excluded, list.IsExcluded(path));
    }
}
