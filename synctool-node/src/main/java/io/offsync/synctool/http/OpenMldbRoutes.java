package io.offsync.synctool.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.TableRef;
import io.offsync.protocol.openmldb.DataSync;
import io.offsync.synctool.admin.AdminException;
import io.offsync.synctool.admin.AdminService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original SyncTool's HTTP/JSON endpoints, so OpenMLDB's {@code tools/synctool_helper.py} works unchanged:
 * {@code /openmldb.datasync.SyncTool/CreateSyncTask}, {@code DeleteSyncTask} (and the released protos' spelling
 * {@code DelelteSyncTask}) and {@code TaskStatus}, by POST or by GET with a body (the helper GETs TaskStatus).
 *
 * <p>Bodies are the bare protobuf-JSON messages of {@code data_sync.proto}. A refusal is HTTP 200 with
 * {@code {"code": -1, "msg": "..."}}, as the original; the message names the problem. A request body that is not
 * valid JSON for the message is refused the same way (the original only logged it and went on with a partial
 * request).
 */
public final class OpenMldbRoutes {

  public static final String SERVICE = "openmldb.datasync.SyncTool";
  private static final Logger log = LoggerFactory.getLogger(OpenMldbRoutes.class);

  private final AdminService admin;

  public OpenMldbRoutes(AdminService admin) {
    this.admin = admin;
  }

  public Route route() {
    return pathPrefix(SERVICE, () -> concat(
        method("CreateSyncTask", this::createSyncTask),
        method("DeleteSyncTask", this::deleteSyncTask),
        method("DelelteSyncTask", this::deleteSyncTask),
        method("TaskStatus", this::taskStatus)));
  }

  private static Route method(String name, Function<String, CompletionStage<? extends Message>> handler) {
    Supplier<Route> body = () -> entity(Unmarshaller.entityToString(), json -> onComplete(
        guarded(handler, json), result -> {
          if (result.isSuccess()) {
            return complete(HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(ContentTypes.APPLICATION_JSON, OpenMldbJson.print(result.get())));
          }
          log.error("{} failed", name, result.failed().get());
          return complete(HttpResponse.create().withStatus(StatusCodes.INTERNAL_SERVER_ERROR)
              .withEntity(ContentTypes.TEXT_PLAIN_UTF8, result.failed().get().toString()));
        }));
    return path(name, () -> concat(post(body), get(body)));
  }

  private static CompletionStage<? extends Message> guarded(
      Function<String, CompletionStage<? extends Message>> handler, String json) {
    try {
      return handler.apply(json);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<DataSync.GeneralResponse> createSyncTask(String json) {
    DataSync.CreateSyncTaskRequest req;
    try {
      req = OpenMldbJson.parse(json, DataSync.CreateSyncTaskRequest.newBuilder()).build();
    } catch (InvalidProtocolBufferException e) {
      return done(badJson("CreateSyncTaskRequest {db, name, mode, start_ts, dest[, partition_by]}", e));
    }
    if (!req.hasMode()) {
      return done(OpenMldbJson.error("mode is required: 0 (full), 1 (incremental from start_ts) or"
          + " 2 (full and continuous)"));
    }
    CreateTaskRequest create = CreateTaskRequest.newBuilder()
        .setTable(TableRef.newBuilder().setDb(req.getDb()).setTable(req.getName()))
        .setMode(req.getMode().getNumber())
        .setStartTs(req.getStartTs())
        .setDest(req.getDest())
        .setPartitionBy(req.getPartitionBy())
        .build();
    return general(admin.create(create));
  }

  private CompletionStage<DataSync.GeneralResponse> deleteSyncTask(String json) {
    DataSync.DeleteSyncTaskRequest req;
    try {
      req = OpenMldbJson.parse(json, DataSync.DeleteSyncTaskRequest.newBuilder()).build();
    } catch (InvalidProtocolBufferException e) {
      return done(badJson("DeleteSyncTaskRequest {db, name}", e));
    }
    return admin.delete(req.getDb(), req.getName()).thenApply(x -> OpenMldbJson.ok())
        .exceptionallyCompose(t -> {
          AdminException e = AdminException.of(t);
          if (e.kind() != AdminException.Kind.NOT_FOUND) {
            return done(OpenMldbJson.error(e.getMessage()));
          }
          // as the original: clearing the tasks of an existing table that has none succeeds (code 0, message
          // kept); a table unknown to OpenMLDB is an error
          return admin.tableExists(req.getDb(), req.getName()).thenApply(exists -> exists
              ? OpenMldbJson.ok(e.getMessage())
              : OpenMldbJson.error(e.getMessage() + "; table " + req.getDb() + "." + req.getName()
                  + " not found in OpenMLDB either: check the database and table name"));
        });
  }

  private CompletionStage<DataSync.TaskStatusResponse> taskStatus(String json) {
    DataSync.TaskStatusRequest req;
    try {
      req = OpenMldbJson.parse(json, DataSync.TaskStatusRequest.newBuilder()).build();
    } catch (InvalidProtocolBufferException e) {
      return done(DataSync.TaskStatusResponse.newBuilder()
          .setResponse(badJson("TaskStatusRequest {clear_all}", e)).build());
    }
    CompletionStage<?> before = req.getClearAll() ? admin.deleteAll()
        : CompletableFuture.completedFuture(null);
    return before.thenCompose(x -> admin.status())
        .thenApply(all -> OpenMldbJson.taskStatus(all, admin.settings().advertisedEndpoint(),
            admin.settings().progressPath(), admin.settings().journalLocation()))
        .exceptionally(t -> DataSync.TaskStatusResponse.newBuilder()
            .setResponse(OpenMldbJson.error(AdminException.of(t).getMessage())).build());
  }

  private static CompletionStage<DataSync.GeneralResponse> general(CompletionStage<?> op) {
    return op.thenApply(x -> OpenMldbJson.ok())
        .exceptionally(t -> OpenMldbJson.error(AdminException.of(t).getMessage()));
  }

  private static DataSync.GeneralResponse badJson(String expected, InvalidProtocolBufferException e) {
    return OpenMldbJson.error("request body is not a " + expected + " JSON object: " + e.getMessage());
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
