package io.offsync.iceberg;

import io.offsync.protocol.codec.TableSchema;
import io.offsync.sink.PartitionBy;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.types.Types;

/**
 * Opens the Iceberg table of a sync task: through the catalog of {@link IcebergSettings} (a Hadoop catalog whose
 * warehouse is the task's destination, or a REST catalog given the destination as its warehouse), namespace = the
 * OpenMLDB database, name = the OpenMLDB table. A missing namespace and table are created (the schema from
 * {@link IcebergSchemas}); an existing table gains the columns added by ALTER ADD COLUMN. Several subtasks may
 * open the same table at once: a lost creation or schema race is retried on the winner's table.
 */
public final class IcebergTables {

  private static final int RACE_ATTEMPTS = 10;

  private IcebergTables() {}

  /**
   * The catalog for a task writing into {@code warehouse} (any Hadoop FileSystem URI). A Hadoop catalog does its
   * file I/O as the Hadoop user current when this is called ({@link UserFileIO}): call it as the destination's user.
   */
  public static Catalog catalog(IcebergSettings settings, String warehouse, Configuration conf) {
    Map<String, String> props = new HashMap<>(settings.catalogProperties());
    props.put(CatalogUtil.ICEBERG_CATALOG_TYPE, settings.catalogType());
    props.put(CatalogProperties.WAREHOUSE_LOCATION, warehouse);
    if (settings.catalogType().equals(IcebergSettings.REST)) {
      props.put(CatalogProperties.URI, settings.uri());
    } else {
      props.putIfAbsent(CatalogProperties.LOCK_IMPL, JvmLockManager.class.getName());
      props.putIfAbsent(CatalogProperties.FILE_IO_IMPL, UserFileIO.class.getName());
    }
    return CatalogUtil.buildIcebergCatalog("offsync", props, conf);
  }

  /**
   * The partition spec of a new table partitioned by {@code by} ({@code hour|day|month(<column>)}, field named
   * {@link PartitionBy#field()}); unpartitioned for null.
   *
   * @throws IllegalArgumentException when the column is not a timestamp or date (Iceberg's time transforms take
   *     nothing else, a bigint of epoch ms included)
   */
  public static PartitionSpec partitionSpec(Schema schema, PartitionBy by) {
    if (by == null) {
      return PartitionSpec.unpartitioned();
    }
    Types.NestedField f = schema.findField(by.column());
    if (f == null || !(f.type() instanceof Types.TimestampType || f.type() instanceof Types.DateType)) {
      throw new IllegalArgumentException("cannot partition the Iceberg table by " + by + ": Iceberg's hour, day"
          + " and month transforms take a timestamp or date column, and '" + by.column() + "' is "
          + (f == null ? "not a column" : f.type()) + "; partition by a timestamp column, or write parquet/csv");
    }
    PartitionSpec.Builder b = PartitionSpec.builderFor(schema);
    return switch (by.transform()) {
      case HOUR -> b.hour(by.column(), by.field()).build();
      case DAY -> b.day(by.column(), by.field()).build();
      case MONTH -> b.month(by.column(), by.field()).build();
    };
  }

  /** The table identifier of OpenMLDB table {@code db.table}. */
  public static TableIdentifier identifier(String db, String table) {
    return TableIdentifier.of(Namespace.of(db), table);
  }

  /**
   * Loads the table, or creates it with the latest schema of {@code schema} and {@code spec}; then adds the
   * columns it lacks.
   *
   * @param spec the partition spec of a new table, given its schema; an existing table keeps its own
   */
  public static Table open(Catalog catalog, TableIdentifier id, TableSchema schema, Function<Schema, PartitionSpec> spec,
      IcebergSettings settings) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      try {
        Table table = loadOrCreate(catalog, id, schema, spec, settings);
        IcebergSchemas.evolve(table, schema.latest());
        table.refresh();
        return table;
      } catch (CommitFailedException | AlreadyExistsException e) {
        last = e; // another subtask created or evolved the table at the same time: take its result
      }
    }
    throw last;
  }

  private static Table loadOrCreate(Catalog catalog, TableIdentifier id, TableSchema schema, Function<Schema, PartitionSpec> spec,
      IcebergSettings settings) {
    try {
      return catalog.loadTable(id);
    } catch (NoSuchTableException missing) {
      if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(id.namespace())) {
        try {
          namespaces.createNamespace(id.namespace());
        } catch (AlreadyExistsException raced) {
          // created by another subtask
        }
      }
      Map<String, String> props = new HashMap<>(settings.tableProperties());
      props.put(TableProperties.COMMIT_NUM_RETRIES, Integer.toString(settings.commitRetries()));
      Schema icebergSchema = IcebergSchemas.schema(schema.latest());
      return catalog.createTable(id, icebergSchema, spec.apply(icebergSchema), props);
    }
  }
}
