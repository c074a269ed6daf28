namespace Talm.KubeApi.Metrics;

/// <summary>
/// The labels one request is counted under: those of the kube-apiserver's
/// <c>apiserver_request_total</c> (verb, dry_run, group, version, resource, subresource, scope,
/// component, code) plus <c>client</c>, the User-Agent, as the older <c>apiserver_request_count</c>
/// had, so that the lab can tell what each component costs the server.
/// </summary>
/// <param name="Verb">GET, LIST, WATCH, CREATE, UPDATE, PATCH, APPLY, DELETE or DELETECOLLECTION (the HTTP method for other paths).</param>
/// <param name="Scope">resource (a named object), namespace (a namespace's collection), cluster (all namespaces or a cluster-scoped collection); empty off the resource paths.</param>
public readonly record struct RequestKey(
    string Verb,
    string DryRun,
    string Group,
    string Version,
    string Resource,
    string Subresource,
    string Scope,
    string Client,
    int Code)
{
    /// <summary>True for the verbs that change stored objects.</summary>
    public bool IsWrite => Verb is "CREATE" or "UPDATE" or "PATCH" or "APPLY" or "DELETE" or "DELETECOLLECTION";

    public bool IsDelete => Verb is "DELETE" or "DELETECOLLECTION";

    /// <summary>"resource" or "resource/subresource", as the lab reports writes.</summary>
    public string ResourcePath => Subresource.Length == 0 ? Resource : Resource + "/" + Subresource;
}
