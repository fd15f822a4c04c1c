using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Mtls.Extensions;

/// <summary>
/// Checks that a number or a <see cref="TimeSpan"/> option lies in a range, with a message that names the option and the
/// value it has: <c>Mtls:Server:MaxChainDepth: 0 is out of range; use 1 to 16.</c> Works with the options validator
/// source generator (<c>[OptionsValidator]</c>); <see cref="MtlsOptionsValidation.ValidateWithConfigurationKeys{TOptions}"/>
/// turns the member path it reports into the configuration key.
/// </summary>
/// <remarks>
/// <see cref="ValidationAttribute.ErrorMessage"/> is a composite format: <c>{0}</c> the option, <c>{1}</c> its value,
/// <c>{2}</c> the minimum and <c>{3}</c> the maximum. Numbers and times are written invariantly (<c>00:01:00</c>).
/// </remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false)]
public sealed class MtlsRangeAttribute : ValidationAttribute
{
    private const string DefaultMessage = "{0}: {1} is out of range; use {2} to {3}.";

    /// <summary>Initializes a new instance of the <see cref="MtlsRangeAttribute"/> class for an <see cref="int"/> option.</summary>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public MtlsRangeAttribute(int minimum, int maximum)
        : this((object)minimum, maximum)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MtlsRangeAttribute"/> class for a <see cref="long"/> option.</summary>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public MtlsRangeAttribute(long minimum, long maximum)
        : this((object)minimum, maximum)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MtlsRangeAttribute"/> class for a <see cref="double"/> option.</summary>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public MtlsRangeAttribute(double minimum, double maximum)
        : this((object)minimum, maximum)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MtlsRangeAttribute"/> class for a <see cref="TimeSpan"/> option.</summary>
    /// <param name="minimum">The shortest allowed time, in the constant format (<c>00:00:00.5</c>).</param>
    /// <param name="maximum">The longest allowed time, in the constant format (<c>1.00:00:00</c>); <see langword="null"/> for no upper bound.</param>
    /// <exception cref="FormatException"><paramref name="minimum"/> or <paramref name="maximum"/> is not a time.</exception>
    public MtlsRangeAttribute(string minimum, string? maximum)
        : this(TimeSpan.Parse(minimum, CultureInfo.InvariantCulture), maximum is null ? TimeSpan.MaxValue : TimeSpan.Parse(maximum, CultureInfo.InvariantCulture))
    {
    }

    private MtlsRangeAttribute(object minimum, object maximum)
        : base(DefaultMessage)
    {
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>Gets the smallest allowed value.</summary>
    /// <value>An <see cref="int"/>, <see cref="long"/>, <see cref="double"/> or <see cref="TimeSpan"/>.</value>
    public object Minimum { get; }

    /// <summary>Gets the largest allowed value.</summary>
    /// <value>An <see cref="int"/>, <see cref="long"/>, <see cref="double"/> or <see cref="TimeSpan"/>.</value>
    public object Maximum { get; }

    /// <summary>Gets or sets a value indicating whether <see cref="Minimum"/> itself is out of range (for example, a positive time).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool MinimumIsExclusive { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="Timeout.InfiniteTimeSpan"/> is allowed besides the range.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AllowInfinite { get; set; }

    /// <inheritdoc/>
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (value is null || InRange(value))
        {
            return ValidationResult.Success;
        }

        // No member names: the options result builder would put them in front of the message, which already names the option.
        return new ValidationResult(string.Format(CultureInfo.InvariantCulture, ErrorMessageString, validationContext.DisplayName, Text(value), Text(Minimum), Text(Maximum)));
    }

    private bool InRange(object value)
    {
        if (Minimum is TimeSpan minimum)
        {
            var time = (TimeSpan)value;
            if (AllowInfinite && time == Timeout.InfiniteTimeSpan)
            {
                return true;
            }

            return (MinimumIsExclusive ? time > minimum : time >= minimum) && time <= (TimeSpan)Maximum;
        }

        var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        var low = Convert.ToDouble(Minimum, CultureInfo.InvariantCulture);
        var high = Convert.ToDouble(Maximum, CultureInfo.InvariantCulture);
        return (MinimumIsExclusive ? number > low : number >= low) && number <= high;
    }

    private static string Text(object value) => value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? string.Empty;
}
