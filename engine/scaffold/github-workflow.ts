/**
 * The GitHub Actions workflow for a ferry project, in one place: `ferry init` writes it to
 * .github/workflows/ferry.yml, and docs/github-actions.md shows the same text (a unit test keeps
 * the two identical). On a pull request it validates (annotations on the changed lines), plans the
 * configuration changes against the base branch without credentials, adds the full plan where
 * read-only credentials are configured, and keeps one comment up to date through a hidden marker
 * that carries the plan's hash and the commit. On a push to main it applies, once switched on.
 * Run steps use no `${{ }}` inside scripts (values come in through env), so a branch name cannot
 * inject shell code.
 */

export const GITHUB_WORKFLOW_PATH = '.github/workflows/ferry.yml';

/** The marker that starts ferry's pull-request comment; the hash and commit follow it. */
export const PLAN_COMMENT_MARKER = '<!-- ferry-plan:';

const WORKFLOW = `# ferry: validate and review pipeline changes on pull requests, apply them on merge.
# Written by \`ferry init\`; every step is explained in ferry's docs/github-actions.md.
name: ferry

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  review:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    concurrency:
      group: ferry-review-\${{ github.event.pull_request.number }}
      cancel-in-progress: true
    env:
      # ferry is a devDependency of this repository (npm ci installs it).
      FERRY: npx --no-install ferry
      # Read-only keys for the full plan, if the repository has them (forks never do).
      HAS_READONLY_KEYS: \${{ secrets.FERRY_READONLY_AWS_ACCESS_KEY_ID != '' }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - name: Install
        run: npm ci

      - name: Validate
        id: validate
        run: $FERRY validate --format github

      - name: Plan the configuration changes (no credentials)
        id: offline-plan
        env:
          BASE_REF: \${{ github.base_ref }}
        run: |
          git fetch --no-tags origin "$BASE_REF"
          $FERRY plan --offline --base "origin/$BASE_REF" --format markdown > ferry-plan.md

      - name: Plan with read-only credentials
        id: full-plan
        if: env.HAS_READONLY_KEYS == 'true'
        continue-on-error: true
        env:
          AWS_ACCESS_KEY_ID: \${{ secrets.FERRY_READONLY_AWS_ACCESS_KEY_ID }}
          AWS_SECRET_ACCESS_KEY: \${{ secrets.FERRY_READONLY_AWS_SECRET_ACCESS_KEY }}
        run: |
          printf '\\n' >> ferry-plan.md
          $FERRY plan --format markdown >> ferry-plan.md

      - name: Mark the comment with the plan's hash and commit
        id: marker
        env:
          HEAD_SHA: \${{ github.event.pull_request.head.sha }}
        run: |
          hash=$(sha256sum ferry-plan.md | cut -d ' ' -f 1)
          { printf '<!-- ferry-plan:sha256=%s commit=%s -->\\n' "$hash" "$HEAD_SHA"; cat ferry-plan.md; } > ferry-comment.md
          echo "hash=$hash" >> "$GITHUB_OUTPUT"

      - name: Post the plan, or update the comment in place
        uses: actions/github-script@v7
        env:
          PLAN_HASH: \${{ steps.marker.outputs.hash }}
        with:
          script: |
            const fs = require('fs');
            const marker = '<!-- ferry-plan:';
            const body = fs.readFileSync('ferry-comment.md', 'utf8');
            const { owner, repo } = context.repo;
            const issue_number = context.issue.number;
            const comments = await github.paginate(github.rest.issues.listComments, {
              owner,
              repo,
              issue_number,
              per_page: 100,
            });
            const previous = comments.find((c) => (c.body ?? '').startsWith(marker));
            if (!previous) {
              await github.rest.issues.createComment({ owner, repo, issue_number, body });
            } else if (!previous.body.startsWith(\`\${marker}sha256=\${process.env.PLAN_HASH} \`)) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
            }

      - name: Fail when the full plan failed
        if: steps.full-plan.outcome == 'failure'
        run: exit 1

  apply:
    # Switch on with the repository variable FERRY_APPLY=true once state is shared (state: kind: s3):
    # a runner's disk is gone after the job, so local state would make every run start from scratch.
    if: github.event_name == 'push' && vars.FERRY_APPLY == 'true'
    runs-on: ubuntu-latest
    environment: ferry
    concurrency:
      group: ferry-apply
      cancel-in-progress: false
    env:
      FERRY: npx --no-install ferry
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - name: Install
        run: npm ci
      - name: Validate
        run: $FERRY validate --format github
      - name: Apply
        env:
          AWS_ACCESS_KEY_ID: \${{ secrets.FERRY_AWS_ACCESS_KEY_ID }}
          AWS_SECRET_ACCESS_KEY: \${{ secrets.FERRY_AWS_SECRET_ACCESS_KEY }}
        run: $FERRY apply
`;

/** The workflow file's text. */
export function renderGithubWorkflow(): string {
  return WORKFLOW;
}
