#!/usr/bin/env bash
# Fetches Temporal's time-skipping test server (the Java SDK's, from Maven Central) with
# its dependencies into .tools/test-server/lib, and writes the launcher that
# TestWorkflowEnvironment.createTimeSkipping() spawns as `<launcher> <port>`.
# The SDK gives the server ~5 s to answer: the launcher `exec`s java (so the SDK's
# SIGKILL reaches the JVM) with an AppCDS archive made once here, which roughly halves
# the JVM's start. Pinned; a no-op when that version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=1.38.0
dir="$PWD/.tools/test-server"
launcher="$dir/temporal-test-server"
if [ -x "$launcher" ] && [ -f "$dir/version" ] && [ "$(cat "$dir/version")" = "$version" ] \
   && [ -f "$dir/app.jsa" ]; then
  exit 0
fi
command -v mvn >/dev/null && command -v java >/dev/null \
  || { echo "java and mvn are needed for the time-skipping test server" >&2; exit 1; }
echo "fetching the Temporal test server $version from Maven Central" >&2
rm -rf "$dir" && mkdir -p "$dir/lib"
cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mailshift</groupId><artifactId>temporal-test-server-deps</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/lib"

cat > "$launcher" <<'SH'
#!/bin/sh
# Usage: temporal-test-server <port>. exec: the JVM must be this process.
dir=$(dirname "$(readlink -f "$0")")
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:SharedArchiveFile="$dir/app.jsa" \
  -cp "$dir/lib/*" io.temporal.testserver.TestServer "$@"
SH
chmod +x "$launcher"

# AppCDS: run the server once, let it load its classes, stop it, archive them.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ArchiveClassesAtExit="$dir/app.jsa" \
  -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
sleep 1
kill -TERM "$pid"; wait "$pid" || true
[ -f "$dir/app.jsa" ] || { echo "the AppCDS archive was not written" >&2; exit 1; }
echo "$version" > "$dir/version"
