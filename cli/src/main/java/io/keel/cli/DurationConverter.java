package io.keel.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a positive duration written the way operators do: {@code 500ms}, {@code 5s}, {@code 2m},
 * {@code 1h}, {@code 1d}, sums such as {@code 1m30s}, or ISO-8601 ({@code PT5S}). A bare number is
 * refused: its unit would be a guess.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  @Override
  public Duration convert(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    Duration total;
    if (v.startsWith("p")) {
      try {
        total = Duration.parse(v.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(value);
      }
    } else {
      total = Duration.ZERO;
      Matcher m = PART.matcher(v);
      int pos = 0;
      while (pos < v.length()) {
        if (!m.find(pos) || m.start() != pos) {
          throw invalid(value);
        }
        long n = Long.parseLong(m.group(1));
        total = total.plus(switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        });
        pos = m.end();
      }
      if (pos == 0) {
        throw invalid(value);
      }
    }
    if (total.isNegative() || total.isZero()) {
      throw new TypeConversionException("'" + value + "' must be longer than zero");
    }
    return total;
  }

  /** The shortest form that {@link #convert} reads back: 10s, 1500ms (ISO-8601 below 1 ms). */
  static String format(Duration d) {
    if (d.getNano() % 1_000_000 != 0) {
      return d.toString();
    }
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static TypeConversionException invalid(String value) {
    return new TypeConversionException("'" + value
        + "' is not a duration such as 500ms, 5s, 2m, 1h30m or PT10S");
  }
}
