using k8s;
using Talm.KubeApi;

namespace Talm.KubeApi.Tests.Support;

/// <summary>Starts a server on a free loopback port and builds clients for it.</summary>
internal static class Lab
{
    public const string Group = "ran.openshift.io";
    public const string Version = "v1alpha1";
    public const string Plural = "clustergroupupgrades";

    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static string LabCrds => Path.Combine(AppContext.BaseDirectory, "lab-crds");

    public static async Task<KubeApiServer> StartWithCguAsync(KubeApiServerOptions? options = null)
    {
        var server = await KubeApiServer.StartAsync(options ?? new KubeApiServerOptions());
        KubeApiServer.ApplyManifestFile(server.Service, TestData("test-cgu-crd.yaml"));
        return server;
    }

    public static Kubernetes Client(KubeApiServer server) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));

    public static GenericClient Cgus(Kubernetes client) => new(client, Group, Version, Plural, disposeClient: false);

    public static ClusterGroupUpgrade NewCgu(string name, params string[] clusters) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new CguSpec { Clusters = [.. clusters] },
    };
}
