package io.offsync.health;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import io.offsync.security.BearerTokens;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * The management port of an offsync node: Pekko Management's routes ({@code /alive}, {@code /ready},
 * {@code /cluster/members}, {@code /cluster/shards/...}; read-only, GET only), bound by offsync itself so that it
 * can serve them over HTTPS and behind bearer tokens.
 *
 * <p>With tokens ({@link BearerTokens#enabled()}): {@code /alive} and {@code /ready} answer everyone with their
 * status code (200 or 500), so that orchestrator probes and load balancers need no secret, but their body says
 * only {@code OK} or {@code not ready}; the reason (which dependency fails, and why) needs a valid token. Every
 * other path needs a valid token (admin or read-only), else HTTP 401 naming the settings that hold the tokens.
 * Without tokens everything is served as Pekko Management serves it; the node decides where that is allowed.
 */
public final class ManagementServer {

  /** The probe paths answered without a token (status code only). */
  static final Set<String> PROBES = Set.of("/alive", "/ready");

  private ManagementServer() {}

  /**
   * Binds the management routes on {@code host:port}.
   *
   * @param https TLS for the port, or null for plain HTTP
   * @param tokenSettings the settings holding the accepted tokens, named in refusals
   */
  public static ServerBinding bind(ActorSystem<?> system, String host, int port, HttpsConnectionContext https,
      BearerTokens tokens, String tokenSettings, Duration timeout) throws Exception {
    Route routes = PekkoManagement.get(system).getRoutes(s -> s.withReadOnly(true));
    ServerBuilder server = Http.get(system).newServerAt(host, port);
    if (https != null) {
      server = server.enableHttps(https);
    }
    return server.bind(guard(routes, tokens, tokenSettings)).toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@code management} with the probes open (status only) and everything else behind the tokens. */
  static Route guard(Route management, BearerTokens tokens, String tokenSettings) {
    if (!tokens.enabled()) {
      return management;
    }
    return extractRequest(request -> {
      if (tokens.access(request) != BearerTokens.Access.NONE) {
        return management;
      }
      if (PROBES.contains(request.getUri().path())) {
        return mapResponse(ManagementServer::withoutDetail, () -> management);
      }
      return complete(unauthorized(request.getUri().path(), BearerTokens.presentsToken(request), tokenSettings));
    });
  }

  /**
   * {@code inner} (pages that show a node's state, e.g. a collector's {@code /status} and {@code /metrics}) behind
   * the tokens: any valid token, else HTTP 401.
   */
  public static Route readProtected(Route inner, BearerTokens tokens, String tokenSettings) {
    if (!tokens.enabled()) {
      return inner;
    }
    return extractRequest(request -> tokens.access(request) != BearerTokens.Access.NONE ? inner
        : complete(unauthorized(request.getUri().path(), BearerTokens.presentsToken(request), tokenSettings)));
  }

  private static HttpResponse withoutDetail(HttpResponse r) {
    String body = r.status().isSuccess() ? "OK"
        : "not ready (send a bearer token for the reason, or see the node's log)";
    return r.withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body));
  }

  private static HttpResponse unauthorized(String path, boolean presented, String tokenSettings) {
    String what = presented ? "the bearer token is not valid for " + path : path + " requires a bearer token";
    return HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"offsync\""))
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, what + ": send 'Authorization: Bearer <token>'"
            + " with the token of " + tokenSettings + "\n"));
  }
}
