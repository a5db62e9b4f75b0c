// The sha256 of user-owned files as earlier generator versions wrote them (the example contract of
// the layout before @mlservice/runtime, which imports runtime files a service no longer has). A
// re-run replaces such a file while it is byte for byte that old example; a file the user edited stays.
// Add the old hashes here whenever a user-owned template changes in a way old copies cannot follow.
export const SUPERSEDED_USER_FILES: Readonly<Record<string, readonly string[]>> = {
  'src/contract/data-loader.ts': [
    '36c24746ebb77254070e765027f42a9d24108256fc21e12622a38825714f5deb',
    '38b811dd24c55c687b708f429951e438c57b62dc09bb44bd66418eba81a9630d',
    'c27565c2717b3e18da28a7c541af216750779cec25642126b32f767bce4a5c47',
  ],
  'src/contract/preprocessor.ts': [
    '0896ab3d7d44a108698f1c36473d74a48f8be39db9e419c1659168b12d52e1e9',
    'ff467b617623be0e93011813d0c9f23bb57006561517fcd979b1b7f9f94e2fac',
  ],
  'src/contract/train.ts': [
    '81db59d675b2138bfa2fa2d5557014a585ba0fdf12024e44e1b0b100c209d142',
    'de85af7b5c1b0b8a92bfc6f5502e0bcec58bc4c4266e16c0737d8e2f12cb51ce',
  ],
};
