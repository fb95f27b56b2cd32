package io.spottrain.checkpoint.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.checkpoint.Progress;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwsS3ObjectStoreTest extends ObjectStoreContract {
    static S3ProxyFixture s3;
    final List<ObjectStore> opened = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3ProxyFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(ObjectStore::close);
    }

    @TempDir
    Path files;

    /** The requests the cost ledger prices: counted as the client sends them, by S3's pricing class (deletes are free). */
    @Test
    void s3RequestsAreCountedByPricingClass() throws Exception {
        ObjectStore s = store();
        s.ensureBucket();
        var before = s.requests();
        s.putBytes("r/one", new byte[] {1, 2, 3}, false);
        s.getBytes("r/one");
        s.list("r/");
        s.delete("r/one");
        assertEquals(new RequestCounts(2, 1), s.requests().minus(before), "a PUT and a LIST; a GET; the DELETE free");
        // a file of three 5 MiB parts: create, three parts, complete
        Path big = files.resolve("big.bin");
        byte[] data = new byte[12 * 1024 * 1024 + 12345];
        new Random(2).nextBytes(data);
        Files.write(big, data);
        var mid = s.requests();
        s.putFile("r/big.bin", big, CheckpointDir.sha256(data), Progress.NONE);
        assertEquals(new RequestCounts(5, 0), s.requests().minus(mid));
    }

    @Override
    ObjectStore store() {
        var s = new AwsS3ObjectStore(s3.freshBucket());
        opened.add(s);
        return s;
    }
}
