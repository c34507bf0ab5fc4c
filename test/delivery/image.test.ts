import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APP_BUILD_CONTEXT, contextFiles, contextHash, digestOfTag, imageTag, lifecyclePolicy } from "../../components/delivery/image";
import { buildUnderMocks, MOCK_CALLS, ROOT, stackConfig, valueOf } from "../harness";

describe("app image: content hash of the build context", () => {
    let dir: string;
    const write = (file: string, content: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
    };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-context-"));
        write("Dockerfile", "FROM node:24\nUSER 1000:1000\n");
        write("package.json", "{}\n");
        write("src/main.ts", "console.log(1);\n");
        write("node_modules/dep/index.js", "module.exports = 1;\n");
        write("dist/main.js", "console.log(1);\n");
        write(".dockerignore", "# not part of the image\n*.log\ncoverage/\n*.md\nDockerfile\n**/*.test.ts\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("lists the files docker build sends, sorted: .dockerignore applies, the Dockerfile always counts", () => {
        write("debug.log", "x");
        write("coverage/lcov.info", "x");
        write("README.md", "x");
        write("src/main.test.ts", "x");
        write("src/notes.log.txt", "x");
        write(".git/HEAD", "ref: refs/heads/main\n");
        assert.deepEqual(contextFiles(dir), [".dockerignore", "Dockerfile", "package.json", "src/main.ts", "src/notes.log.txt"]);
    });

    it("changes when a file docker sends changes, even one git ignores (no same-tag push with new content)", () => {
        const before = contextHash(dir);
        write("extra.json", "{}");
        assert.notEqual(contextHash(dir), before);
    });

    it("changes when a source file changes, is added or is renamed", () => {
        const before = contextHash(dir);
        write("src/main.ts", "console.log(2);\n");
        const edited = contextHash(dir);
        assert.notEqual(edited, before);
        write("src/extra.ts", "");
        const added = contextHash(dir);
        assert.notEqual(added, edited);
        fs.renameSync(path.join(dir, "src/extra.ts"), path.join(dir, "src/other.ts"));
        assert.notEqual(contextHash(dir), added);
    });

    it("does not change with node_modules, dist or ignored files", () => {
        const before = contextHash(dir);
        write("node_modules/dep/index.js", "module.exports = 2;\n");
        write("node_modules/new/index.js", "");
        write("dist/main.js", "console.log(3);\n");
        write("npm-debug.log", "noise");
        write("coverage/lcov.info", "noise");
        write("README.md", "docs only");
        assert.equal(contextHash(dir), before);
    });

    it("is deterministic: the same tree elsewhere has the same hash, a fixed 64-hex digest", () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "image-context-copy-"));
        try {
            fs.cpSync(dir, copy, { recursive: true });
            assert.equal(contextHash(copy), contextHash(dir));
            assert.match(contextHash(dir), /^[0-9a-f]{64}$/);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    it("tags with 16 hex digits of the hash and the architecture (immutable tags: a new platform needs a new tag)", () => {
        const hash = "0123456789abcdef".repeat(4);
        assert.equal(imageTag(hash, "linux/amd64"), "0123456789abcdef-amd64");
        assert.equal(imageTag(hash, "linux/arm64"), "0123456789abcdef-arm64");
    });

    it("hashes the real app/ without its node_modules or dist", () => {
        assert.equal(APP_BUILD_CONTEXT, path.join(ROOT, "app"));
        const files = contextFiles(APP_BUILD_CONTEXT);
        for (const f of ["Dockerfile", "package.json", "package-lock.json", "src/config.ts", "src/migrate.ts"]) {
            assert.ok(files.includes(f), `${f} is hashed`);
        }
        // The flag file reaches pods through a ConfigMap, docs and tests are not in the image:
        // editing them must not build a new image (and re-run the migration Job).
        for (const f of ["flags/flags.json", "README.md", "docker-compose.yml"]) assert.ok(!files.includes(f), `${f} is not hashed`);
        assert.deepEqual(files.filter((f) => f.startsWith("test/") || f.startsWith("bench/")), []);
        assert.deepEqual(files.filter((f) => /(^|\/)(node_modules|dist|\.git)\//.test(f)), []);
    });
});

describe("app image: ECR lifecycle policy", () => {
    it("expires untagged images after N days and keeps the newest N tagged ones", () => {
        assert.deepEqual(JSON.parse(lifecyclePolicy(3, 10)), {
            rules: [
                {
                    rulePriority: 1,
                    description: "Expire untagged images after 3 days",
                    selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 3 },
                    action: { type: "expire" },
                },
                {
                    rulePriority: 2,
                    description: "Keep the newest 10 tagged images",
                    selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 10 },
                    action: { type: "expire" },
                },
            ],
        });
    });
});

describe("app image: re-runs after an interruption (issue 12, item 3)", () => {
    const IMAGE = "docker:index/image:Image";
    const REPO_URL = "123456789012.dkr.ecr.us-east-1.amazonaws.com/platform-pr-1/orders";
    const PUSHED = `sha256:${"a".repeat(64)}`;

    it("finds the digest of a tag, and nothing for a tag never pushed", () => {
        const ids = [{ imageTag: "old-amd64", imageDigest: "sha256:1" }, { imageDigest: "sha256:untagged" }, { imageTag: "new-amd64", imageDigest: "sha256:2" }];
        assert.equal(digestOfTag(ids, "new-amd64"), "sha256:2");
        assert.equal(digestOfTag(ids, "other-amd64"), undefined);
        assert.equal(digestOfTag([], "new-amd64"), undefined);
    });

    it("pushes a tag ECR does not have, and deploys the pushed digest", async () => {
        const b = await buildUnderMocks(stackConfig("pr-1"));
        const image = b.capture.one(IMAGE);
        assert.equal(image.inputs.skipPush, false);
        // The mock's digest of the pushed image (zeros), not one looked up in ECR.
        assert.equal(await valueOf(b.platform.appImage.repoDigest), `${REPO_URL}@sha256:${"0".repeat(64)}`);
    });

    it("skips the push of a tag ECR already has (an interrupted up), and deploys ECR's digest for it", async () => {
        const original = MOCK_CALLS["aws:ecr/getImages:getImages"];
        const tag = imageTag(contextHash(APP_BUILD_CONTEXT), "linux/amd64");
        MOCK_CALLS["aws:ecr/getImages:getImages"] = (args) => ({
            repositoryName: args.repositoryName,
            imageIds: [{ imageTag: "older-amd64", imageDigest: "sha256:older" }, { imageTag: tag, imageDigest: PUSHED }],
        });
        try {
            const b = await buildUnderMocks(stackConfig("pr-1"));
            const image = b.capture.one(IMAGE);
            assert.equal(image.inputs.imageName, `${REPO_URL}:${tag}`);
            assert.equal(image.inputs.skipPush, true);
            assert.equal(await valueOf(b.platform.appImage.repoDigest), `${REPO_URL}@${PUSHED}`);
            // The Deployment runs that digest.
            const deployment = b.capture.one("kubernetes:apps/v1:Deployment");
            assert.equal(deployment.inputs.spec.template.spec.containers[0].image, `${REPO_URL}@${PUSHED}`);
        } finally {
            MOCK_CALLS["aws:ecr/getImages:getImages"] = original;
        }
    });
});
