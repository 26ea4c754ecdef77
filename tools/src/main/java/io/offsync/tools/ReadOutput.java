package io.offsync.tools;

import io.offsync.sink.CommitOps;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/offsync-read DEST}: what a sync task committed into DEST (any Hadoop FileSystem URI or local path):
 * each committed file with its row count and size (in its partition directory {@code <column>_<unit>=<value>/}
 * for a task created with {@code --partition-by}), the total, and the first rows. Parquet files are read with
 * parquet-hadoop (row counts from the footers, rows decoded with their logical types); CSV files are printed as
 * they are. DEST may also be an Iceberg table written with format iceberg, or the Hadoop-catalog warehouse holding
 * such tables: each table's schema, row count, offsync's commits per partition and first rows, read with Iceberg's
 * own library. Exit code 0, or 1 when DEST cannot be read.
 */
@Command(name = "offsync-read", mixinStandardHelpOptions = true,
    description = "List the files (or Iceberg tables) a sync task committed into a destination, count their rows,"
        + " print the first rows.")
public final class ReadOutput implements Callable<Integer> {

  @Parameters(index = "0", description = "destination directory (path or URI, e.g. file:///data/out, hdfs://nn:8020/out)")
  String dest;

  @Option(names = {"-n", "--rows"}, defaultValue = "5", description = "rows to print (default ${DEFAULT-VALUE})")
  int show;

  @Option(names = "--count", description = "print only the total number of committed rows")
  boolean countOnly;

  @Option(names = "--hadoop-conf-dir", description = "directory with core-site.xml / hdfs-site.xml "
      + "(default: $HADOOP_CONF_DIR)")
  String hadoopConfDir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ReadOutput()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Configuration conf = new Configuration();
    String confDir = hadoopConfDir != null ? hadoopConfDir : System.getenv("HADOOP_CONF_DIR");
    if (confDir != null && !confDir.isEmpty()) {
      for (String f : List.of("core-site.xml", "hdfs-site.xml")) {
        java.nio.file.Path p = java.nio.file.Path.of(confDir, f);
        if (java.nio.file.Files.isRegularFile(p)) {
          conf.addResource(new Path(p.toUri()));
        }
      }
    }
    FileSystem fs = CommitOps.fileSystem(dest, conf);
    Path dir = fs.makeQualified(new Path(dest));
    List<Path> tables = IcebergListing.find(fs, dir);
    if (!tables.isEmpty()) {
      return readTables(conf, tables);
    }
    List<FileStatus> files = OutputFiles.committed(fs, dir);
    if (countOnly) {
      System.out.println(OutputFiles.totalRows(fs, dir));
      return 0;
    }
    if (files.isEmpty()) {
      System.out.println("no committed files in " + dir + " (yet)");
      return 0;
    }
    long rows = 0;
    long bytes = 0;
    for (FileStatus s : files) {
      String name = OutputFiles.displayName(s);
      long n = name.endsWith(".parquet") ? OutputFiles.rowCount(conf, s.getPath()) : csvLines(fs, s.getPath());
      rows += n;
      bytes += s.getLen();
      System.out.printf("%-" + (name.length() > 40 ? 64 : 40) + "s %10d rows %12d bytes%n", name, n, s.getLen());
    }
    System.out.printf("%d files, %d rows, %d bytes in %s%n", files.size(), rows, bytes, dir);
    if (show > 0) {
      printFirstRows(fs, files);
    }
    return 0;
  }

  /** DEST is an Iceberg table or a Hadoop-catalog warehouse of them (format iceberg). */
  private int readTables(Configuration conf, List<Path> tables) throws Exception {
    long total = 0;
    for (Path p : tables) {
      org.apache.iceberg.Table t = IcebergListing.load(conf, p);
      total += IcebergListing.rows(t);
      if (!countOnly) {
        IcebergListing.print(t, show, System.out);
      }
    }
    if (countOnly) {
      System.out.println(total);
    } else if (tables.size() > 1) {
      System.out.printf("%d Iceberg tables, %d rows%n", tables.size(), total);
    }
    return 0;
  }

  private void printFirstRows(FileSystem fs, List<FileStatus> files) throws Exception {
    FileStatus first = files.get(0);
    System.out.println("first rows of " + OutputFiles.displayName(first) + ":");
    if (first.getPath().getName().endsWith(".parquet")) {
      System.out.println("  " + String.join(" | ", OutputFiles.columns(fs.getConf(), first.getPath())));
      List<List<Object>> shown = new ArrayList<>();
      try {
        OutputFiles.forEachRow(fs.getConf(), first.getPath(), r -> {
          shown.add(r);
          if (shown.size() >= show) {
            throw new EnoughRows();
          }
        });
      } catch (EnoughRows done) {
        // stop reading: the rows asked for are there
      }
      List<Boolean> timestamps = OutputFiles.timestampColumns(fs.getConf(), first.getPath());
      for (List<Object> r : shown) {
        List<String> cells = new ArrayList<>();
        for (Object v : r) {
          boolean ts = timestamps.get(cells.size());
          cells.add(v == null ? "NULL" : ts ? Instant.ofEpochMilli((Long) v).toString() : v.toString());
        }
        System.out.println("  " + String.join(" | ", cells));
      }
    } else {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(first.getPath()),
          StandardCharsets.UTF_8))) {
        String line;
        for (int i = 0; i < show && (line = in.readLine()) != null; i++) {
          System.out.println("  " + line);
        }
      }
    }
  }

  private static long csvLines(FileSystem fs, Path p) throws Exception {
    long n = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
      while (in.readLine() != null) {
        n++;
      }
    }
    return n;
  }

  private static final class EnoughRows extends RuntimeException {
    EnoughRows() {
      super(null, null, false, false);
    }
  }
}
