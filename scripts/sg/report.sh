#!/bin/sh
# Prints the measured quality of the built-in default set, as docs/strategic-grams.md quotes it.
# Usage: scripts/sg/report.sh [DATA_DIR]   (default ../shared/data/real)
set -e
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/real}
M=$DATA/thought_anchors_r1distill_math/deepseek-r1-distill-llama-8b
held=""; build=""
for f in correct_base_solution incorrect_base_solution; do
  for p in 3448 4164 4682 6596 6998; do held="$held $M/$f/problem_$p"; done
  for p in 330 1591 2189 2236 2238; do build="$build $M/$f/problem_$p"; done
done
echo "### Held out (problems 3448 4164 4682 6596 6998): the reported figure"
echo '$ hicra sg eval default <held-out problem folders>'
node bin/hicra.mjs sg eval default $held
echo
echo "### Build half (problems 330 1591 2189 2236 2238): used to choose the grams"
node bin/hicra.mjs sg eval default $build
echo
echo "### All 20 labelled traces"
node bin/hicra.mjs sg eval default $M
