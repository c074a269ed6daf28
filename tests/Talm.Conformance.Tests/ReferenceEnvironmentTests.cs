using Talm.Conformance.Run;

namespace Talm.Conformance.Tests;

/// <summary>The operator's environment as the reference's Makefile defaults and deployment patch compute it.</summary>
public sealed class ReferenceEnvironmentTests
{
    [Fact]
    public void Makefile_defaults_expand_their_references()
    {
        var vars = ReferenceEnvironment.MakefileDefaults("""
            # comment
            VERSION ?= 1.2.3
            BASE ?= example.org/team/op
            IMG ?= $(BASE):$(VERSION)
            HELPER_IMG ?= ${BASE}-helper:$(VERSION) # trailing comment
            VERSION ?= 9.9.9
            target:
            	IGNORED = inside-a-recipe
            """);
        Assert.Equal("1.2.3", vars["VERSION"]);
        Assert.Equal("example.org/team/op:1.2.3", vars["IMG"]);
        Assert.Equal("example.org/team/op-helper:1.2.3", vars["HELPER_IMG"]);
        Assert.False(vars.ContainsKey("IGNORED"));
    }

    [Fact]
    public void The_deployment_patch_env_is_filled_from_the_Makefile()
    {
        using var dir = new TempDir();
        dir.Write("Makefile", "VERSION ?= 2.0.0\nBASE ?= example.org/op\nPRECACHE_IMG ?= $(BASE)-precache:$(VERSION)\nRECOVERY_IMG ?= $(BASE)-recovery:$(VERSION)\n");
        dir.Write(ReferenceEnvironment.RelatedImagesPath, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: manager}
            spec:
              template:
                spec:
                  containers:
                    - name: manager
                      env:
                      - name: PRECACHE_IMG
                        value: $PRECACHE_IMG
                      - name: RECOVERY_IMG
                        value: ${RECOVERY_IMG}
                      - name: FLAG
                        value: "false"
            """);
        var env = ReferenceEnvironment.Read(dir.Path);
        Assert.Equal("example.org/op-precache:2.0.0", env["PRECACHE_IMG"]);
        Assert.Equal("example.org/op-recovery:2.0.0", env["RECOVERY_IMG"]);
        Assert.Equal("false", env["FLAG"]);
    }
}
