// Package source fetches the code a pipeline run builds: it resolves a branch
// of a git repository to a commit and writes exactly that commit's tree into a
// work directory, and it reads GitHub push webhooks that announce new commits.
//
// Data enters as a Repo (a local path or a remote URL plus a branch), a commit
// id, or the raw body and signature header of a webhook request. It leaves as
// a full commit id, files on disk (the commit's tree, without a .git
// directory, as a CodePipeline source artifact has none), a Commit describing
// what was checked out, or a Push describing what was pushed.
//
// Git is spoken by go-git in-process; no git binary is needed. Local
// repositories (a path or a file:// URL) are opened directly; remote ones
// (http, https, ssh, git) are listed without cloning to resolve a branch, and
// fetched shallowly where the server allows it to check a commit out. See
// docs/decisions/0111-git-with-go-git.md.
package source
