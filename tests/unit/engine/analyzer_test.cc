// The text analyzer (engine/analyzer.h): Unicode letters and digits, case mapping, positions,
// invalid UTF-8.
#include <gtest/gtest.h>

#include "engine/analyzer.h"

namespace lookalike::engine {
namespace {

using Tokens = std::vector<std::string>;

TEST(AnalyzerTest, AsciiWordsDigitsAndPunctuation) {
  EXPECT_EQ(Tokenize("The QUICK, brown-fox; 42 jumps!! x2"),
            (Tokens{"the", "quick", "brown", "fox", "42", "jumps", "x2"}));
  EXPECT_EQ(Tokenize("  ...  "), Tokens{});
  EXPECT_EQ(Tokenize(""), Tokens{});
  // Apostrophes and decimal points separate here (the standard tokenizer keeps them).
  EXPECT_EQ(Tokenize("don't 3.14"), (Tokens{"don", "t", "3", "14"}));
}

TEST(AnalyzerTest, UnicodeLettersAreLowercased) {
  EXPECT_EQ(Tokenize("Café CAFÉ café"), (Tokens{"café", "café", "café"}));
  EXPECT_EQ(Tokenize("ÄRGER Ärger"), (Tokens{"ärger", "ärger"}));
  EXPECT_EQ(Tokenize("Москва МОСКВА, привет!"), (Tokens{"москва", "москва", "привет"}));
  EXPECT_EQ(Tokenize("ΑΘΗΝΑ"), (Tokens{"αθηνα"}));
  // Non-ASCII punctuation and symbols separate: « » — € ©.
  EXPECT_EQ(Tokenize("«élan»—vital €5 ©x"), (Tokens{"élan", "vital", "5", "x"}));
  // Non-ASCII digits are digits.
  EXPECT_EQ(Tokenize("٣٤ x"), (Tokens{"٣٤", "x"}));
}

TEST(AnalyzerTest, HanAndHiraganaAreOneTokenPerCharacter) {
  EXPECT_EQ(Tokenize("中文字"), (Tokens{"中", "文", "字"}));
  EXPECT_EQ(Tokenize("ab中c"), (Tokens{"ab", "中", "c"}));
  EXPECT_EQ(Tokenize("ひらがな"), (Tokens{"ひ", "ら", "が", "な"}));
  // Katakana and Hangul runs stay words.
  EXPECT_EQ(Tokenize("カタカナ 한국어"), (Tokens{"カタカナ", "한국어"}));
}

TEST(AnalyzerTest, InvalidUtf8SeparatesTokens) {
  EXPECT_EQ(Tokenize("abc\xff" "def"), (Tokens{"abc", "def"}));
  EXPECT_EQ(Tokenize("abc\x80" "def"), (Tokens{"abc", "def"}));       // lone continuation
  EXPECT_EQ(Tokenize("abc\xc3"), (Tokens{"abc"}));                     // truncated é
  EXPECT_EQ(Tokenize("a\xc0\xaf" "b"), (Tokens{"a", "b"}));            // overlong '/'
  EXPECT_EQ(Tokenize("a\xed\xa0\x80" "b"), (Tokens{"a", "b"}));        // surrogate
  EXPECT_EQ(Tokenize("a\xf4\x90\x80\x80" "b"), (Tokens{"a", "b"}));    // above U+10FFFF
  // A broken lead byte does not swallow the valid sequence after it.
  EXPECT_EQ(Tokenize("\xc3\xc3\xa9t\xc3\xa9"), (Tokens{"été"}));
}

TEST(AnalyzerTest, PositionsCountTokens) {
  auto tokens = Analyze("One, two... THREE");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].text, "one");
  EXPECT_EQ(tokens[0].position, 0u);
  EXPECT_EQ(tokens[2].text, "three");
  EXPECT_EQ(tokens[2].position, 2u);
}

TEST(AnalyzerTest, LongTokensAreSplit) {
  std::string word(kMaxTokenChars + 5, 'a');
  auto tokens = Tokenize(word);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].size(), kMaxTokenChars);
  EXPECT_EQ(tokens[1], "aaaaa");
}

}  // namespace
}  // namespace lookalike::engine
