namespace Talm.KubeApi.Resources;

/// <summary>One Table column: CRD <c>additionalPrinterColumns</c> entry or a built-in kind's column.</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description = "", int Priority = 0, string Format = "");
