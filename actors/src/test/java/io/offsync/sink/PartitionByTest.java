package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The partition spec: its syntax, its checks against a schema, and the values and directories it gives rows. */
class PartitionByTest {

  private static final List<Column> COLUMNS = List.of(Column.of("id", ColumnType.BIGINT),
      Column.of("name", ColumnType.STRING), Column.of("ts", ColumnType.TIMESTAMP), Column.of("d", ColumnType.DATE),
      Column.of("ts_month", ColumnType.STRING));

  private static String refusal(String spec) {
    return assertThrows(IllegalArgumentException.class, () -> PartitionBy.parse(spec).validate("db1.t", COLUMNS))
        .getMessage();
  }

  @Test
  void parsesColumnAndUnitWithDayAsTheDefault() {
    assertEquals(new PartitionBy("ts", PartitionBy.Transform.DAY), PartitionBy.parse("ts"));
    assertEquals(new PartitionBy("ts", PartitionBy.Transform.HOUR), PartitionBy.parse(" ts : Hour "));
    assertEquals("ts:month", PartitionBy.parse("ts:month").toString());
    assertEquals(PartitionBy.parse("id:hour"), PartitionBy.parse(PartitionBy.parse("id:hour").toString()));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PartitionBy.parse("ts:week")).getMessage()
        .contains("unknown time unit 'week', use hour, day or month"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PartitionBy.parse(":day")).getMessage()
        .contains("the column is missing"));
  }

  @Test
  void refusesColumnsThatCannotPartitionByTimeNamingTheColumnAndTheUnits() {
    assertTrue(refusal("nope").contains("cannot partition db1.t by 'nope': no such column (columns: [id, name, ts,"));
    assertTrue(refusal("name:day").contains("column 'name' is string; a timestamp or bigint (epoch ms) column takes"
        + " hour, day or month, a date column day or month"), refusal("name:day"));
    assertTrue(refusal("d:hour").contains("column 'd' is date"));
    assertTrue(refusal("ts:month").contains("would be named 'ts_month=…', the name of a column"));
    PartitionBy.parse("ts:hour").validate("db1.t", COLUMNS);
    PartitionBy.parse("id").validate("db1.t", COLUMNS);
    PartitionBy.parse("d:month").validate("db1.t", COLUMNS);
  }

  @Test
  void valuesAreUtcAtTheBoundariesAndNullGoesToHivesDefaultPartition() {
    long midnight = Instant.parse("2026-12-05T00:00:00Z").toEpochMilli();
    PartitionBy day = PartitionBy.parse("ts:day");
    assertEquals("2026-12-04", day.value(midnight - 1));
    assertEquals("2026-12-05", day.value(midnight));
    assertEquals("1969-12-31", day.value(-1L));
    assertEquals("2026-12-04-23", PartitionBy.parse("ts:hour").value(midnight - 1));
    assertEquals("2026-12", PartitionBy.parse("ts:month").value(midnight - 1));
    assertEquals("2026-12", PartitionBy.parse("d:month").value(LocalDate.of(2026, 12, 31)));
    assertEquals("2026-12-31", PartitionBy.parse("d").value(LocalDate.of(2026, 12, 31)));
    assertEquals("ts_day=2026-12-05", day.directory(day.value(midnight)));
    assertEquals("ts_day=__HIVE_DEFAULT_PARTITION__", day.directory(day.value(null)));
    assertEquals("a%3Db_day=x", PartitionBy.parse("a=b").directory("x"));
  }
}
