#!/bin/sh
# Initialise Defects4J (download the project repositories and build tools) and check it works.
# Run once at image build time; the repair workspace then runs with the network off.
set -eu
root="${1:-/defects4j}"
cd "$root"
./init.sh
export PATH="$root/framework/bin:$PATH"
defects4j info -p Lang >/dev/null
echo "Defects4J ready: $(defects4j pids | wc -l) projects"
