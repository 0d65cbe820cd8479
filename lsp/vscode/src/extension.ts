// The Accord extension: starts the `policy lsp` language server for `.policy`
// files and for the YAML/JSON documents Accord checks.
//
// The extension activates on every YAML and JSON file (VS Code cannot look
// inside a file before activating), but it only starts the server once an
// Accord file is open: a `.policy` file, or a YAML/JSON file whose top-level
// `kind` is one Accord knows (a prelude kind, or one declared by a `schema`
// block in the workspace's `.policy` files). So a workspace of Kubernetes
// manifests never starts `policy`. Once started, the server receives every
// open YAML/JSON file and decides itself, by its `kind`, which ones it checks.

import * as path from 'path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { documentKind, isAccordKind, schemaKinds } from './kinds';

let client: LanguageClient | undefined;
let starting: Promise<void> | undefined;
let output: vscode.OutputChannel | undefined;
let declaredKinds: Set<string> | undefined;
let projectWatcher: vscode.FileSystemWatcher | undefined;
/** Set when the server could not be started: no automatic retry until the settings change. */
let failed = false;

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('Accord');
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand('accord.restartServer', async () => {
      failed = false;
      await stopClient();
      await startClient();
    }),
    vscode.workspace.onDidOpenTextDocument((doc) => void maybeStart(doc)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('accord.server') && (client || failed)) {
        failed = false;
        await stopClient();
        await startClient();
      }
    }),
  );

  // Policy files and policy.toml: the server is told when they change on disk,
  // and kinds declared by `schema` blocks are read again.
  projectWatcher = vscode.workspace.createFileSystemWatcher('**/{*.policy,policy.toml}');
  const forget = () => {
    declaredKinds = undefined;
  };
  projectWatcher.onDidCreate(forget);
  projectWatcher.onDidChange(forget);
  projectWatcher.onDidDelete(forget);
  context.subscriptions.push(projectWatcher);

  for (const doc of vscode.workspace.textDocuments) {
    void maybeStart(doc);
  }
}

export function deactivate(): Thenable<void> | undefined {
  return stopClient();
}

/** Starts the server if `doc` is an Accord policy or an Accord document. */
async function maybeStart(doc: vscode.TextDocument): Promise<void> {
  if (client || starting || failed) {
    return;
  }
  if (await isAccordDocument(doc)) {
    await startClient();
  }
}

/** True for `.policy` files and for YAML/JSON with a `kind` Accord knows. */
async function isAccordDocument(doc: vscode.TextDocument): Promise<boolean> {
  if (doc.languageId === 'accord') {
    return true;
  }
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') {
    return false;
  }
  const kind = documentKind(doc.languageId, doc.getText());
  if (kind === undefined) {
    return false;
  }
  return isAccordKind(kind) || isAccordKind(kind, await workspaceKinds());
}

/** The kinds declared by `schema` blocks in the workspace's `.policy` files. */
async function workspaceKinds(): Promise<Set<string>> {
  if (declaredKinds) {
    return declaredKinds;
  }
  const kinds = new Set<string>();
  const files = await vscode.workspace.findFiles('**/*.policy', '**/{node_modules,target,.git}/**', 1000);
  for (const uri of files) {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      for (const kind of schemaKinds(text)) {
        kinds.add(kind);
      }
    } catch {
      // An unreadable file declares nothing.
    }
  }
  declaredKinds = kinds;
  return kinds;
}

/** The command that runs the server, from the `accord.server.*` settings. */
function serverCommand(): { command: string; args: string[] } {
  const config = vscode.workspace.getConfiguration('accord.server');
  let command = (config.get<string>('path') || 'policy').trim();
  const args = config.get<string[]>('args') ?? ['lsp'];
  // A relative path with a directory in it is relative to the first workspace folder.
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder && !path.isAbsolute(command) && /[\\/]/.test(command)) {
    command = path.join(folder.uri.fsPath, command);
  }
  return { command, args };
}

async function startClient(): Promise<void> {
  if (client || starting) {
    return starting;
  }
  const { command, args } = serverCommand();
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const serverOptions: ServerOptions = {
    run: { command, args, options: { cwd } },
    debug: { command, args, options: { cwd } },
  };
  const clientOptions: LanguageClientOptions = {
    // The server decides which YAML/JSON documents are Accord documents (by their `kind`).
    documentSelector: [
      { language: 'accord' },
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
      { scheme: 'file', language: 'json' },
      { scheme: 'untitled', language: 'json' },
    ],
    synchronize: {
      // policy.toml says where the policies are; the server may want to know when it changes.
      fileEvents: projectWatcher,
    },
    outputChannel: output,
  };
  const c = new LanguageClient('accord', 'Accord', serverOptions, clientOptions);
  output?.appendLine(`Starting the Accord language server: ${command} ${args.join(' ')}`);
  starting = c.start().then(
    () => {
      client = c;
    },
    async (err: unknown) => {
      failed = true;
      const detail = err instanceof Error ? err.message : String(err);
      output?.appendLine(`Could not start the Accord language server: ${detail}`);
      // Don't let the client keep retrying a missing executable.
      if (c.state !== State.Stopped) {
        await c.stop().catch(() => undefined);
      }
      void vscode.window
        .showErrorMessage(
          `Accord: could not start \`${command} ${args.join(' ')}\` (${detail}). ` +
            'Install Accord (`cargo install --locked --path .` in the Accord repository) ' +
            'or set `accord.server.path`.',
          'Open Settings',
        )
        .then((choice) => {
          if (choice === 'Open Settings') {
            void vscode.commands.executeCommand('workbench.action.openSettings', 'accord.server');
          }
        });
    },
  );
  try {
    await starting;
  } finally {
    starting = undefined;
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    await c.stop();
  }
}
