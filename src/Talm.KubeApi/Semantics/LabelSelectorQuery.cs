using Talm.Api.Meta;

namespace Talm.KubeApi.Semantics;

/// <summary>The <c>labelSelector</c> query parameter, read by talm's one selector and refused as a 400 when malformed.</summary>
public static class LabelSelectorQuery
{
    public static LabelSelector Parse(string? text)
    {
        try
        {
            return LabelSelector.Parse(text);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }
}
