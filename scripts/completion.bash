# bash completion for heaplab-bench (and ./bench in a source tree), and
# heaplab-plot.  `make install` puts it in share/bash-completion/completions/;
# in a source tree: . scripts/completion.bash
#
# Allocator names and gen profiles are asked of the program itself
# (--list, gen --list), so they are always the ones it knows.

_heaplab_bench()
{
	local cur prev words cword
	if declare -F _init_completion > /dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local prog=${words[0]} cmd= i
	local commands="run gen record info report compare plan merge help"
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) case " $commands " in *" ${words[i]} "*) cmd=${words[i]}; break ;; esac ;;
		esac
	done

	case $prev in
	-a|--alloc)
		local names
		names=$("$prog" --list 2>/dev/null | awk '$1 ~ /^[a-z]/ { print $1 }')
		# a comma list: complete the part after the last comma
		local head=${cur%,*} tail=${cur##*,}
		[ "$head" = "$cur" ] && head= || head=$head,
		COMPREPLY=($(compgen -P "$head" -W "$names all builtin peers" -- "$tail"))
		return ;;
	-t|--trace)
		COMPREPLY=($(compgen -f -X '!*.@(trace|rep)' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	-o|--out|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format)
		if [ "$cmd" = compare ]; then   # with --pair too
			COMPREPLY=($(compgen -W "text markdown" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "tsv csv markdown grade grade-csv grade-json" -- "$cur"))
		fi
		return ;;
	--reference)
		COMPREPLY=($(compgen -W "$("$prog" --list 2>/dev/null | awk '$1 ~ /^[a-z]/ { print $1 }')" -- "$cur"))
		return ;;
	--touch)
		COMPREPLY=($(compgen -W "pages all none" -- "$cur"))
		return ;;
	--runs|-r|--check|--heap-limit|--timeout|--ops|--seed|--threads|--max-ops|--fields|--warmup|\
	--align|--cflags|--grade-weight|--grade-ref-kops)
		return ;;
	esac

	case $cmd in
	'')
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--align --alloc --cflags --check --count --heap-limit --help
				--interleave --json --latency --list --no-progress --out --quiet --runs --threads --timeout
				--touch --trace --version --warmup" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi ;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	gen)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--ops --seed --threads --output --list --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$prog" gen --list 2>/dev/null)" -- "$cur"))
		fi ;;
	record)
		COMPREPLY=($(compgen -W "--output --max-ops --follow-fork --follow-exec --help" -- "$cur")) ;;
	run)
		COMPREPLY=($(compgen -W "--alloc --stats --check --help" -- "$cur")) ;;
	info)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.@(trace|rep)' -- "$cur") $(compgen -d -- "$cur"))
		fi ;;
	report|compare)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--format --fields --timeline --reference --group-by --cells
				--rss-timeline --grade-weight --grade-ref --grade-ref-kops --pair --time-gate --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	esac
}

_heaplab_plot()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	-o) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-t) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-o -t -h --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.json' -- "$cur"))
	fi
}

shopt -s extglob
complete -F _heaplab_bench heaplab-bench bench ./bench
complete -F _heaplab_plot heaplab-plot plot.sh ./plot.sh
