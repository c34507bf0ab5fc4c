/**
 * Loaded by mocha before the test files (.mocharc.json "require"), after tsx turned source maps on
 * for everything: keep them for the project's own .ts files, whose lines a failure must show, and
 * leave node_modules' shipped maps unread. The SDK reads a stack trace for every promise and
 * resource it creates, and mapping its own frames (@pulumi/* ship .js.map files) to SDK sources
 * nobody has here took about 40% of a build; errors in dependencies still show their .js lines.
 * Node decides when it loads a module, so this must run before @pulumi/* is loaded.
 */
import { getSourceMapsSupport, setSourceMapsSupport } from "node:module";

if (getSourceMapsSupport().enabled) setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
