namespace Talm.KubeApi.Resources;

/// <summary>One Table column: CRD <c>additionalPrinterColumns</c> entry or a built-in kind's column.</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description = "", int Priority = 0, string Format = "")
{
    /// <summary>Server-internal format: the cell is the number of entries at the path (0 when absent).</summary>
    public const string CountFormat = "talm-count";
}
