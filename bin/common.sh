# Shared by the offsync scripts in bin/ (sourced, not run).
#   offsync_home           the checkout (parent of bin/)
#   offsync_jvm_opts       JVM options of every node, placed before OFFSYNC_JAVA_OPTS
#   offsync_java           java 17+ (JAVA_HOME/bin/java, else java on PATH), or exits 1 with the fix
#   offsync_classpath M    runtime classpath of module M (its jar + dependencies). Builds the module with Maven
#                          the first time and whenever a source or pom is newer than its jar; OFFSYNC_CLASSPATH
#                          set = use that classpath as is (tests pass their own).

offsync_home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# JVM options every offsync node gets before the caller's own (a later flag wins). 4 MiB G1 regions: with the
# 1 MiB regions G1 picks for heaps under 4 GiB, every 1 MiB RowPack (max_pack_size) and its serialized copies are
# humongous objects, and allocating them starts a concurrent cycle after a few packs (bin/bench: 1.6-1.9 s -> 1.1-1.5 s
# for 300k rows, peak heap halved).
offsync_jvm_opts="-XX:G1HeapRegionSize=4m"

offsync_java() {
  local java="java"
  [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java="$JAVA_HOME/bin/java"
  if ! command -v "$java" >/dev/null 2>&1; then
    echo "offsync needs Java 17 or newer: install it (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME" >&2
    exit 1
  fi
  local v
  v="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [ -z "$v" ] || [ "${v%%.*}" -lt 17 ] 2>/dev/null; then
    echo "offsync needs Java 17 or newer; $java is version ${v:-unknown}: set JAVA_HOME to a JDK 17+" >&2
    exit 1
  fi
  echo "$java"
}

# Builds modules (and what they need) with Maven, writing target/runtime.classpath in each. Serialized by a lock,
# so concurrent starts build once.
offsync_build() {
  command -v mvn >/dev/null 2>&1 || { echo "offsync builds with Maven: install it (Debian: apt-get install maven)" >&2; exit 1; }
  mkdir -p "$offsync_home/target"
  local modules; modules="$(IFS=,; echo "$*")"
  (
    flock 9
    echo "building $modules with Maven (once; later starts reuse the build) ..." >&2
    cd "$offsync_home" && mvn -q -B -ntp -Dstyle.color=never -DskipTests package dependency:build-classpath \
      -Dmdep.outputFile=target/runtime.classpath -Dmdep.includeScope=runtime -pl "$modules" -am >&2
  ) 9>"$offsync_home/target/.build.lock" || { echo "build of $modules failed (see the Maven output above)" >&2; exit 1; }
  local m; for m in "$@"; do touch "$offsync_home/$m/target/.offsync-built"; done
}

offsync_module_jar() {
  ls "$offsync_home/$1"/target/offsync-*.jar 2>/dev/null | grep -v -- '-tests\.jar$' | head -1
}

offsync_stale() { # true when module $1 has no build by these scripts or a source/pom is newer than that build
  local stamp="$offsync_home/$1/target/.offsync-built"
  [ -f "$stamp" ] && [ -n "$(offsync_module_jar "$1")" ] && [ -f "$offsync_home/$1/target/runtime.classpath" ] || return 0
  [ -n "$(find "$offsync_home"/pom.xml "$offsync_home"/*/pom.xml "$offsync_home"/*/src/main -newer "$stamp" -type f 2>/dev/null | head -1)" ]
}

offsync_classpath() {
  if [ -n "${OFFSYNC_CLASSPATH:-}" ]; then echo "$OFFSYNC_CLASSPATH"; return 0; fi
  if offsync_stale "$1"; then offsync_build "$1"; fi
  echo "$(offsync_module_jar "$1"):$(cat "$offsync_home/$1/target/runtime.classpath")"
}
