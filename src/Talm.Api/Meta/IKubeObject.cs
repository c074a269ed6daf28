namespace Talm.Api.Meta;

/// <summary>Any Kubernetes object: enough for an executor to address and apply it generically.</summary>
public interface IKubeObject
{
    string ApiVersion { get; }
    string Kind { get; }
    ObjectMeta Metadata { get; }
}
