package io.offsync.iceberg;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real Iceberg REST catalog over HTTP on 127.0.0.1 (a free port): Iceberg's own server side of the REST
 * protocol ({@link RESTCatalogAdapter} behind {@link RESTCatalogServlet}, from iceberg-core's test jar) in Jetty,
 * backed by a Hadoop catalog whose warehouse is {@code warehouse}. Clients reach it only through HTTP.
 */
public final class RestCatalogServer implements AutoCloseable {

  private final Server server;
  private final HadoopCatalog backend;

  private RestCatalogServer(Server server, HadoopCatalog backend) {
    this.server = server;
    this.backend = backend;
  }

  public static RestCatalogServer start(Configuration conf, String warehouse) throws Exception {
    HadoopCatalog backend = new HadoopCatalog();
    backend.setConf(conf);
    backend.initialize("rest-backend", Map.of(CatalogProperties.WAREHOUSE_LOCATION, warehouse));
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(new RESTCatalogServlet(new RESTCatalogAdapter(backend))), "/*");
    server.setHandler(context);
    server.start();
    return new RestCatalogServer(server, backend);
  }

  /** The catalog's base URI, as {@code offsync.iceberg.catalog-uri} takes it. */
  public String uri() {
    return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/";
  }

  @Override
  public void close() throws Exception {
    server.stop();
    backend.close();
  }
}
