package io.spottrain.checkpoint.remote;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

class MinioObjectStoreTest extends ObjectStoreContract {
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

    @Override
    ObjectStore store() {
        var s = new MinioObjectStore(s3.freshBucket());
        opened.add(s);
        return s;
    }
}
