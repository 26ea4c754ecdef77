package io.offsync.sync;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Configuration overlays that point the journal (pekko-persistence-jdbc) at a database: an embedded H2 file or a
 * PostgreSQL server. The overlay sets {@code offsync.journal.*} and the resolved {@code slick} section of every
 * jdbc plugin, so it works whether it is layered over a resolved configuration ({@code withFallback(load())}) or
 * loaded with {@code ConfigFactory.load(overlay)}.
 *
 * <p>Durability. Every H2 URL gets {@link #H2_DURABLE} ({@code WRITE_DELAY=0}) unless it sets its own write delay:
 * H2 then writes each transaction to its file when it commits, so a journaled event survives a kill -9 of the
 * process (H2's default delay of 500 ms lost the last commits). H2 never fsyncs a commit, so a power loss or an
 * OS crash can still lose the last events; the commit protocol recovers from that by adopting the committed
 * files the journal does not know (see {@code Subtask}).
 */
public final class JournalConfig {

  private static final List<String> PLUGINS =
      List.of("jdbc-journal", "jdbc-snapshot-store", "jdbc-read-journal", "jdbc-durable-state-store");

  /** The H2 URL settings offsync needs: names as written, and every commit written to the file at once. */
  public static final String H2_SETTINGS = ";DATABASE_TO_UPPER=false;WRITE_DELAY=0";
  /** The setting that makes H2 write each commit to its file before the commit returns. */
  public static final String H2_DURABLE = ";WRITE_DELAY=0";

  private JournalConfig() {}

  /** The JDBC URL of the embedded H2 file database at {@code file} (without the {@code .mv.db} suffix). */
  public static String h2Url(Path file) {
    return "jdbc:h2:file:" + file.toAbsolutePath().normalize() + H2_SETTINGS;
  }

  /** {@code url} with {@link #H2_DURABLE} appended when it is an H2 URL that sets no write delay of its own. */
  public static String durable(String url) {
    String lower = url == null ? "" : url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:h2:") && !lower.contains(";write_delay=")) {
      return url + H2_DURABLE;
    }
    return url;
  }

  /** The embedded H2 file database at {@code file} (without the {@code .mv.db} suffix). */
  public static Config h2(Path file) {
    String path = file.toAbsolutePath().normalize().toString();
    return forUrl(h2Url(file), "root", "root")
        .withValue("offsync.journal.h2-path", ConfigValueFactory.fromAnyRef(path));
  }

  /**
   * The database at JDBC {@code url}: {@code jdbc:h2:...} or {@code jdbc:postgresql://host:port/db}; the driver and
   * Slick profile follow from the URL. An H2 URL without a write delay of its own gets {@link #H2_DURABLE}.
   * Anything else is refused with the supported forms.
   */
  public static Config forUrl(String givenUrl, String user, String password) {
    String url = durable(givenUrl);
    String driver;
    String profile;
    String lower = url == null ? "" : url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:h2:")) {
      driver = "org.h2.Driver";
      profile = "slick.jdbc.H2Profile$";
    } else if (lower.startsWith("jdbc:postgresql:")) {
      driver = "org.postgresql.Driver";
      profile = "slick.jdbc.PostgresProfile$";
    } else {
      throw new IllegalArgumentException("unsupported journal database URL '" + url + "': use jdbc:h2:file:/path"
          + " (embedded H2 file) or jdbc:postgresql://host:port/database");
    }
    Map<String, Object> values = new HashMap<>();
    values.put("offsync.journal.url", url);
    values.put("offsync.journal.driver", driver);
    values.put("offsync.journal.profile", profile);
    values.put("offsync.journal.user", user);
    values.put("offsync.journal.password", password);
    List<String> sections = new ArrayList<>(PLUGINS);
    sections.add("offsync.journal");
    for (String prefix : sections) {
      values.put(prefix + ".slick.profile", profile);
      values.put(prefix + ".slick.db.url", url);
      values.put(prefix + ".slick.db.driver", driver);
      values.put(prefix + ".slick.db.user", user);
      values.put(prefix + ".slick.db.password", password);
    }
    return ConfigFactory.parseMap(values);
  }
}
