using Talm.KubeApi.Metrics;

namespace Talm.KubeApi.Http;

/// <summary>One request's metric labels, filled in as the handler learns them; counted exactly once.</summary>
internal sealed class CountedRequest(string method, string client)
{
    private string _verb = method;
    private string _dryRun = string.Empty;
    private string _group = string.Empty;
    private string _version = string.Empty;
    private string _resource = string.Empty;
    private string _subresource = string.Empty;
    private string _scope = string.Empty;
    private int _recorded;

    public void Resolve(ResourceRequest request, string verb, bool dryRun)
    {
        _verb = verb;
        _dryRun = dryRun ? "All" : string.Empty;
        _group = request.Type.Group;
        _version = request.Version;
        _resource = request.Type.Plural;
        _subresource = request.Subresource ?? string.Empty;
        _scope = request.Name is not null ? "resource" : request.Namespace is not null ? "namespace" : "cluster";
    }

    public void Record(RequestMetrics metrics, int code)
    {
        if (Interlocked.Exchange(ref _recorded, 1) != 0) return;
        metrics.Record(new RequestKey(_verb, _dryRun, _group, _version, _resource, _subresource, _scope, client, code));
    }
}
