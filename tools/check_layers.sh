#!/usr/bin/env bash
# The house stays a DAG: a file of geo/FOLDER/ may include the headers of its
# own folder and of folders before it in the flow order, never of a folder
# after it. geo/internal.h sits between base/ and read/. FOLDER/*_internal.h
# headers are for the files of FOLDER/ alone. Fails (exit 1) and
# names every back-include; prints the folder-level include graph otherwise.
# Also the size rules of the house: no .c file above 700 lines, no header of
# geo/ (all private) above 250.
#   bash tools/check_layers.sh [GEO_DIR]
set -euo pipefail
geo=${1:-"$(dirname "$0")/../geo"}
order=(base internal read spatial indices access gaps write compare analyze check)
flow="${order[*]}"; flow=${flow// / -> }
declare -A rank
for i in "${!order[@]}"; do rank[${order[$i]}]=$i; done
bad=0
declare -A edges
while IFS= read -r f; do
  rel=${f#"$geo"/}
  case "$rel" in
    */*) from=${rel%%/*} ;;
    internal.h) from=internal ;;
    *) echo "check_layers: $rel: a file at the top of geo/ (only internal.h belongs there)"; bad=1; continue ;;
  esac
  if [ -z "${rank[$from]+x}" ]; then
    echo "check_layers: $rel: folder '$from' is not in the flow order (${order[*]})"; bad=1; continue
  fi
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    inc=$(printf '%s\n' "$line" | sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p')
    [ -n "$inc" ] || continue
    case "$inc" in
      seggap.h|seggap/*) continue ;;      # the public headers (include/)
      internal.h) to=internal ;;
      */*) to=${inc%%/*} ;;
      *) echo "check_layers: $rel:$n: #include \"$inc\": name the folder (\"FOLDER/$inc\")"; bad=1; continue ;;
    esac
    if [ -z "${rank[$to]+x}" ]; then
      echo "check_layers: $rel:$n: #include \"$inc\": no folder '$to' in geo/"; bad=1; continue
    fi
    [ "$to" = "$from" ] || edges["$from -> $to"]=1
    case "$inc" in
      */*_internal.h) if [ "$to" != "$from" ]; then
          echo "check_layers: $rel:$n: #include \"$inc\": a folder-internal header of '$to' (only files of $to/ include it)"
          bad=1
        fi ;;
    esac
    if [ "${rank[$to]}" -gt "${rank[$from]}" ]; then
      echo "check_layers: $rel:$n: #include \"$inc\": '$from' comes before '$to' in the flow ($flow): a back-include"
      bad=1
    fi
  done < "$f"
done < <(find "$geo" -name '*.[ch]' | sort)
while IFS= read -r f; do
  lines=$(wc -l < "$f"); max=700
  case "$f" in *.h) max=250 ;; esac
  if [ "$lines" -gt "$max" ]; then
    echo "check_layers: ${f#"$geo"/}: $lines lines, above the house limit of $max (split it by concern)"; bad=1
  fi
done < <(find "$geo" -name '*.[ch]' | sort)
if [ "$bad" -ne 0 ]; then
  echo "check_layers: FAILED"
  exit 1
fi
echo "check_layers: OK, folder includes form a DAG in flow order: $flow"
for e in "${!edges[@]}"; do echo "  $e"; done | sort
