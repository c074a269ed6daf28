using Talm.Api.Build;

namespace Talm.Api.Tests;

public sealed class BuildVersionTests
{
    [Fact]
    public void A_git_build_has_its_version_and_commit()
    {
        var v = BuildVersion.FromInformationalVersion("0.1.0-alpha.0.282+3056f68c0ffee1234567890abcdef0123456789a");
        Assert.Equal("0.1.0-alpha.0.282", v.Version);
        Assert.Equal("3056f68c0ffee1234567890abcdef0123456789a", v.Commit);
        Assert.Equal("3056f68", v.ShortCommit);
        Assert.Equal("0.1.0-alpha.0.282 (commit 3056f68)", v.ToString());
        Assert.Equal("0.1.0-alpha.0.282+3056f68c0ffee1234567890abcdef0123456789a", v.Informational);
    }

    [Fact]
    public void Build_metadata_besides_the_commit_is_not_taken_for_it()
    {
        var v = BuildVersion.FromInformationalVersion("1.2.3+ci.42.abcdef1");
        Assert.Equal("1.2.3", v.Version);
        Assert.Equal("abcdef1", v.Commit);
        Assert.Null(BuildVersion.FromInformationalVersion("1.2.3+ci.42").Commit);
    }

    [Fact]
    public void A_build_outside_git_says_it_has_no_commit()
    {
        var v = BuildVersion.FromInformationalVersion("0.0.0");
        Assert.False(v.FromGit);
        Assert.Equal("0.0.0 (commit unknown: built outside a git checkout)", v.ToString());
    }

    [Fact]
    public void This_build_knows_its_commit_exactly_when_it_was_built_from_a_git_checkout()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "Talm.slnx")))
        {
            repo = repo.Parent;
        }

        Assert.NotNull(repo);
        var fromGit = Path.Exists(Path.Combine(repo.FullName, ".git"));
        Assert.True(fromGit == BuildVersion.Current.FromGit, BuildVersion.Current.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+", BuildVersion.Current.Version);
        Assert.NotEqual("1.0.0", BuildVersion.Current.Version);
    }
}
