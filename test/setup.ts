/**
 * Loaded by mocha before the test files (.mocharc.json "require"), after tsx turned source maps on
 * for everything: keep them for the project's own .ts files, whose lines a failure must show, and
 * leave node_modules' shipped maps unread. The SDK reads a stack trace for every promise and
 * resource it creates, and mapping its own frames (@pulumi/* ship .js.map files) to SDK sources
 * nobody has here took about 40% of a build; errors in dependencies still show their .js lines.
 * Node decides when it loads a module, so this must run before @pulumi/* is loaded.
 *
 * Node's compile cache (V8 code cache on disk, keyed by each file's content) for this process
 * and, through NODE_COMPILE_CACHE, for the processes the tests start (the plan CLI, the served
 * policy pack): every one of them loads the SDKs and TypeScript (@pulumi/pulumi's closure
 * serializer requires it), about 0.4 s of compiling per process without the cache.
 */
import { enableCompileCache, getSourceMapsSupport, setSourceMapsSupport } from "node:module";

if (getSourceMapsSupport().enabled) setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });

const compileCache = enableCompileCache();
if (compileCache.directory) process.env.NODE_COMPILE_CACHE ??= compileCache.directory;
