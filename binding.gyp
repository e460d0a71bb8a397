{
  "targets": [
    {
      "target_name": "zmdev",
      "sources": [
        "native/mask_core.cc",
        "native/apqn_conflicts.cc",
        "native/sysfs_io.cc",
        "native/vfio.cc",
        "native/boundary.cc",
        "native/addon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"]
    }
  ]
}
