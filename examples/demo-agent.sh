#!/bin/sh
# A scripted stand-in for a coding agent: it reads the task cifix wrote and
# edits the worktree the way an agent would. Usage: demo-agent.sh WORKDIR TASK_FILE
set -e
cd "$1"
grep -q "Task: fix a CI failure" "$2"
sed -i 's/return sum(prices) \* (1 - discount)/return round(sum(prices) * (1 - discount), 2)/' invoice.py
printf 'Root cause: binary floating point makes 0.1 + 0.2 = 0.30000000000000004, and total() returned it unrounded.\nFix: round totals to cents.\n' > CIFIX_NOTES.md
