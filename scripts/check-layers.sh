#!/usr/bin/env bash
# Checks that includes inside engine/src run one way (issue 22, docs/architecture.md):
#   vocabulary <- util <- introspection <- reactor <- net <- core <- telemetry <- engine/src itself
# A file may include its own folder and the folders to its left, never one to its right.
# Public headers ("tofu/...") may be included anywhere, except the telemetry codec's
# ("tofu/telemetry/...", a library of its own), which count as the telemetry layer. Prints each
# include against the direction and exits 1 if there is one. Usage: check-layers.sh [ENGINE_SRC_DIR]
set -euo pipefail
src=${1:-"$(dirname "$0")/../engine/src"}
layers=(vocabulary util introspection reactor net core telemetry)

declare -A rankOf=([.]=${#layers[@]})  # engine/src itself: the top
for i in "${!layers[@]}"; do rankOf[${layers[$i]}]=$i; done

violations=0
checked=$(find "$src" -type f \( -name '*.h' -o -name '*.cpp' \) | wc -l)
# One grep for the whole tree: "FILE:INCLUDED" per quoted include.
while IFS=: read -r file included; do
  relative=${file#"$src"/}
  folder=${relative%%/*}
  [ "$folder" = "$relative" ] && folder=.
  own=${rankOf[$folder]:-${#layers[@]}}
  target=${included%%/*}
  if [[ $included == tofu/telemetry/* ]]; then
    target=telemetry
  elif [ "$target" = tofu ]; then
    continue
  fi
  if [ "$target" = "$included" ]; then
    echo "$relative: includes \"$included\", a file at the top of engine/src: put it in a layer" >&2
    violations=$((violations + 1))
  elif [ "${rankOf[$target]:-${#layers[@]}}" -gt "$own" ]; then
    echo "$relative: includes \"$included\": $folder may not depend on $target (order: ${layers[*]})" >&2
    violations=$((violations + 1))
  fi
done < <(grep -rH --include='*.h' --include='*.cpp' -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src" |
         sed 's/^\([^:]*\):[^"]*"\([^"]*\)".*/\1:\2/' | sort)

if [ "$checked" -eq 0 ]; then
  echo "check-layers: no sources under $src" >&2
  exit 2
fi
if [ "$violations" -ne 0 ]; then
  echo "check-layers: $violations include(s) against the direction in $checked files" >&2
  exit 1
fi
echo "check-layers: $checked files, every include runs one way (${layers[*]})"
